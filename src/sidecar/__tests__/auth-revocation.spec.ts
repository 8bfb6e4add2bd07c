/**
 * Revocation on its own (src/sidecar/auth/revocation.ts): what is revoked,
 * in which order, and the warnings for tokens that stay valid.
 */
import { IssuerUnreachableError, OidcProtocolError } from '../auth';
import { revokeLogin, revokeQuietly } from '../auth/revocation';

import { FakeClock } from './fakes/clock';
import { FakeIssuer } from './fakes/issuer';

let issuer: FakeIssuer;
let actions: string[];
const connect = async (action: string) => {
  actions.push(action);
  return issuer;
};
const tokens = {
  refreshToken: 'refresh-SECRET-1',
  accessTokens: ['access-SECRET-1', 'access-SECRET-2']
};

beforeEach(() => {
  issuer = new FakeIssuer(new FakeClock());
  actions = [];
});

describe('revokeLogin', () => {
  it('revokes the refresh token, then the access tokens', async () => {
    expect(await revokeLogin(connect, tokens, 'Central site')).toEqual([]);
    expect(actions).toEqual(['revoke the login']);
    expect(issuer.revoked).toEqual([
      ['refresh-SECRET-1', 'refresh_token'],
      ['access-SECRET-1', 'access_token'],
      ['access-SECRET-2', 'access_token']
    ]);
  });

  it('does not connect when there is nothing to revoke', async () => {
    expect(
      await revokeLogin(connect, { accessTokens: [] }, 'Central site')
    ).toEqual([]);
    expect(actions).toEqual([]);
  });

  it('warns once per token that could not be revoked, scrubbed of tokens', async () => {
    issuer.revoke = async token => {
      throw new Error(`refused ${token}`);
    };
    expect(await revokeLogin(connect, tokens, 'Central site')).toEqual([
      'could not revoke the refresh token of Central site: refused [redacted]',
      'could not revoke the access token of Central site: refused [redacted]',
      'could not revoke the access token of Central site: refused [redacted]'
    ]);
  });

  it('ignores unsupported_token_type for access tokens only', async () => {
    issuer.revoke = async () => {
      throw new OidcProtocolError('unsupported_token_type');
    };
    expect(await revokeLogin(connect, tokens, 'Central site')).toEqual([
      'could not revoke the refresh token of Central site: unsupported_token_type'
    ]);
  });

  it('warns when the issuer offers no revocation (only if a refresh token is left)', async () => {
    issuer.supportsRevocation = false;
    expect(await revokeLogin(connect, tokens, 'Central site')).toEqual([
      'the login server of Central site offers no token revocation; ' +
        'the login stays valid there until it expires'
    ]);
    expect(
      await revokeLogin(
        connect,
        { accessTokens: ['access-SECRET-1'] },
        'Central site'
      )
    ).toEqual([]);
    expect(issuer.revoked).toEqual([]);
  });

  it('warns when the issuer cannot be reached', async () => {
    const unreachable = async () => {
      throw new IssuerUnreachableError({
        issuer: 'http://127.0.0.1:9000',
        label: 'Central site',
        action: 'revoke the login',
        detail: 'fetch failed for refresh-SECRET-1'
      });
    };
    expect(await revokeLogin(unreachable, tokens, 'Central site')).toEqual([
      'Could not reach the login server of Central site to revoke the login: ' +
        'fetch failed for [redacted]; the tokens stay valid at the login ' +
        'server until they expire'
    ]);
  });
});

describe('revokeQuietly', () => {
  it('revokes a refresh token nobody will use', async () => {
    await revokeQuietly(connect, 'refresh-SECRET-9');
    expect(actions).toEqual(['revoke an unused login']);
    expect(issuer.revoked).toEqual([['refresh-SECRET-9', 'refresh_token']]);
  });

  it('leaves alone no token, the excepted token and issuers without revocation', async () => {
    await revokeQuietly(connect, undefined);
    await revokeQuietly(connect, 'refresh-SECRET-9', 'refresh-SECRET-9');
    expect(actions).toEqual([]);
    issuer.supportsRevocation = false;
    await revokeQuietly(connect, 'refresh-SECRET-9');
    expect(issuer.revoked).toEqual([]);
  });

  it('swallows failures', async () => {
    issuer.revokeError = new Error('boom');
    await expect(
      revokeQuietly(connect, 'refresh-SECRET-9')
    ).resolves.toBeUndefined();
    await expect(
      revokeQuietly(async () => {
        throw new Error('down');
      }, 'refresh-SECRET-9')
    ).resolves.toBeUndefined();
  });
});
