/**
 * OIDC sessions: logout and revocation.
 * Fake issuer and fake clock (./fakes): no network, no openid-client.
 */
import {
  LoginNeededError,
  OidcProtocolError,
  OidcTransportError,
  type ITokenResponse
} from '../auth';

import { flush } from './fakes/clock';
import { deferred } from './fakes/deferred';
import {
  clock,
  deviceLogin,
  failure,
  issuer,
  manager,
  store,
  useSessionHarness
} from './fakes/harness';
import { site } from './fakes/sites';

useSessionHarness();

describe('logout', () => {
  it('revokes the tokens, clears the store and logs out', async () => {
    const m = manager([site('central', { persist_refresh_token: true })]);
    await deviceLogin(m);
    const result = await m.logout('central');
    expect(result).toEqual({ warnings: [] });
    expect(issuer.revoked).toEqual([
      ['refresh-SECRET-1', 'refresh_token'],
      ['access-SECRET-1', 'access_token']
    ]);
    expect(m.state('central')).toEqual({ status: 'logged-out' });
    expect(await store.load(m.loginKey('central'))).toBeUndefined();
    await failure(m.authorizationHeader('central'));
  });

  it('logs out locally even if revocation fails, with a warning', async () => {
    const m = manager();
    await deviceLogin(m);
    issuer.revokeError = new OidcTransportError('fetch failed (ECONNREFUSED)');
    const result = await m.logout('central');
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings[0]).toMatch(
      /could not revoke the refresh token.*ECONNREFUSED/
    );
    expect(m.state('central')).toEqual({ status: 'logged-out' });
    await failure(m.authorizationHeader('central'));
  });

  it('warns when the issuer cannot revoke', async () => {
    issuer.supportsRevocation = false;
    const m = manager();
    await deviceLogin(m);
    const result = await m.logout('central');
    expect(result.warnings.join()).toMatch(/no token revocation/);
    expect(m.state('central')).toEqual({ status: 'logged-out' });
  });

  it('ignores unsupported_token_type for access tokens', async () => {
    const m = manager();
    await deviceLogin(m);
    const revoke = issuer.revoke.bind(issuer);
    issuer.revoke = async (token, hint) => {
      if (hint === 'access_token') {
        throw new OidcProtocolError('unsupported_token_type');
      }
      return revoke(token, hint);
    };
    expect(await m.logout('central')).toEqual({ warnings: [] });
  });

  it('cancels a pending login', async () => {
    const m = manager();
    await m.login('central');
    await m.logout('central');
    expect(m.state('central')).toEqual({ status: 'logged-out' });
    await clock.advance(60_000);
    expect(issuer.polls).toHaveLength(0);
  });

  it('a refresh finishing after logout does not bring the login back', async () => {
    const m = manager([site('central', { persist_refresh_token: true })]);
    await deviceLogin(m);
    await clock.advance(300_000);
    const answer = deferred<ITokenResponse>();
    issuer.refreshHook = () => answer.promise;
    const call = failure(m.authorizationHeader('central'));
    await flush();
    await m.logout('central');
    answer.resolve(issuer.issue());
    expect(await call).toBeInstanceOf(LoginNeededError);
    expect(m.state('central')).toEqual({ status: 'logged-out' });
    expect(await store.load(m.loginKey('central'))).toBeUndefined();
    // the orphaned new refresh token is revoked too
    await flush();
    expect(issuer.revoked.map(r => r[0])).toContain('refresh-SECRET-2');
  });
});
