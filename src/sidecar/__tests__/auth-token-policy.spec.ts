/**
 * The token policy on its own (src/sidecar/auth/token-policy.ts): when an
 * access token is due for refresh, its lifetime, what a token answer means.
 */
import {
  accessTokenLifetime,
  readTokenAnswer,
  refreshDue
} from '../auth/token-policy';

const NOW = Date.UTC(2026, 0, 1);
const timing = { refreshMargin: 60_000, refreshAtFraction: 0.8 };

/** An unsigned JWT-shaped token with these claims (the policy reads, never verifies). */
function jwt(claims: object): string {
  const part = (value: object) =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.signature`;
}

describe('refreshDue', () => {
  it('is due at the fraction of the lifetime when that comes first', () => {
    // 1000 s: 80 % → 800 s; margin → 940 s
    const access = { issuedAt: NOW, expiresAt: NOW + 1_000_000 };
    expect(refreshDue(access, NOW + 799_999, timing)).toBe(false);
    expect(refreshDue(access, NOW + 800_000, timing)).toBe(true);
  });

  it('is due at the margin when that comes first', () => {
    // 120 s: margin → 60 s; 80 % → 96 s
    const access = { issuedAt: NOW, expiresAt: NOW + 120_000 };
    expect(refreshDue(access, NOW + 59_999, timing)).toBe(false);
    expect(refreshDue(access, NOW + 60_000, timing)).toBe(true);
  });

  it('caps a margin longer than half the lifetime at half of it', () => {
    // 20 s with a 60 s margin: due after 10 s, not at once
    const access = { issuedAt: NOW, expiresAt: NOW + 20_000 };
    expect(refreshDue(access, NOW, timing)).toBe(false);
    expect(refreshDue(access, NOW + 9_999, timing)).toBe(false);
    expect(refreshDue(access, NOW + 10_000, timing)).toBe(true);
  });

  it('is due at once for a token without lifetime', () => {
    const access = { issuedAt: NOW, expiresAt: NOW };
    expect(refreshDue(access, NOW, timing)).toBe(true);
  });

  it('uses the fraction it is given', () => {
    const access = { issuedAt: NOW, expiresAt: NOW + 1_000_000 };
    const half = { refreshMargin: 0, refreshAtFraction: 0.5 };
    expect(refreshDue(access, NOW + 499_999, half)).toBe(false);
    expect(refreshDue(access, NOW + 500_000, half)).toBe(true);
  });
});

describe('accessTokenLifetime', () => {
  it('takes expires_in, in seconds', () => {
    expect(
      accessTokenLifetime({ accessToken: 'opaque', expiresIn: 300 }, NOW, 1)
    ).toBe(300_000);
    expect(
      accessTokenLifetime({ accessToken: 'opaque', expiresIn: 0 }, NOW, 1)
    ).toBe(0);
  });

  it("else the JWT's exp, from now", () => {
    const accessToken = jwt({ exp: NOW / 1000 + 120 });
    expect(accessTokenLifetime({ accessToken }, NOW, 1)).toBe(120_000);
    expect(accessTokenLifetime({ accessToken, expiresIn: -1 }, NOW, 1)).toBe(
      120_000
    );
  });

  it('is never negative for a JWT that has expired', () => {
    const accessToken = jwt({ exp: NOW / 1000 - 60 });
    expect(accessTokenLifetime({ accessToken }, NOW, 1)).toBe(0);
  });

  it('else the default', () => {
    expect(accessTokenLifetime({ accessToken: 'opaque' }, NOW, 42_000)).toBe(
      42_000
    );
    expect(
      accessTokenLifetime({ accessToken: jwt({ exp: 'soon' }) }, NOW, 42_000)
    ).toBe(42_000);
  });
});

describe('readTokenAnswer', () => {
  it('reads the user, the expiry and the end of the login', () => {
    const facts = readTokenAnswer(
      {
        accessToken: 'opaque',
        expiresIn: 300,
        refreshExpiresIn: 1800,
        idClaims: { sub: 'sub-1', preferred_username: 'alice' }
      },
      NOW,
      { user: 'bob', sessionExpiresAt: NOW + 1 },
      1
    );
    expect(facts).toEqual({
      issuedAt: NOW,
      expiresAt: NOW + 300_000,
      user: 'alice',
      sessionExpiresAt: NOW + 1_800_000
    });
  });

  it('takes the user from a JWT access token when there is no ID token', () => {
    const accessToken = jwt({ sub: 'sub-2', exp: NOW / 1000 + 60 });
    expect(readTokenAnswer({ accessToken }, NOW, {}, 1)).toEqual({
      issuedAt: NOW,
      expiresAt: NOW + 60_000,
      user: 'sub-2'
    });
  });

  it('keeps what the session knew when the answer does not say', () => {
    const known = { user: 'bob', sessionExpiresAt: NOW + 5_000 };
    expect(
      readTokenAnswer({ accessToken: 'opaque', expiresIn: 10 }, NOW, known, 1)
    ).toEqual({
      issuedAt: NOW,
      expiresAt: NOW + 10_000,
      user: 'bob',
      sessionExpiresAt: NOW + 5_000
    });
  });

  it('names an unknown user when nobody says who it is', () => {
    const facts = readTokenAnswer({ accessToken: 'opaque' }, NOW, {}, 7_000);
    expect(facts.user).toBe('unknown user');
    expect(facts.expiresAt).toBe(NOW + 7_000);
    expect('sessionExpiresAt' in facts).toBe(false);
  });
});
