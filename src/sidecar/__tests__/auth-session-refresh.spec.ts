/**
 * OIDC sessions: early, single-flight refresh of the access tokens.
 * Fake issuer and fake clock (./fakes): no network, no openid-client.
 */
import {
  IssuerUnreachableError,
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
  useSessionHarness,
  warnings
} from './fakes/harness';
import { site } from './fakes/sites';

useSessionHarness();

describe('refresh', () => {
  it('refreshes ahead of expiry: 80 % of the lifetime or the margin', async () => {
    issuer.expiresIn = 1000; // 80 % → 800 s; margin → 940 s: 800 s first
    const m = manager();
    await deviceLogin(m);
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1'
    );
    await clock.advance(799_000);
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1'
    );
    expect(issuer.refreshes).toHaveLength(0);
    await clock.advance(2_000);
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-2'
    );
    expect(issuer.refreshes.map(r => r.token)).toEqual(['refresh-SECRET-1']);
    const state = m.state('central');
    expect(state.status === 'logged-in' && state.accessExpiresAt).toBe(
      clock.now() + 1_000_000
    );
  });

  it('uses the margin when it comes first', async () => {
    issuer.expiresIn = 120; // margin 60 s → at 60 s; 80 % → 96 s
    const m = manager([site('central')], { timing: { refreshMargin: 60_000 } });
    await deviceLogin(m);
    await clock.advance(59_000);
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1'
    );
    await clock.advance(2_000);
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-2'
    );
  });

  it('does not refresh on every call when the lifetime is below the margin', async () => {
    issuer.expiresIn = 20; // margin capped at half: refresh after 10 s
    const m = manager();
    await deviceLogin(m);
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1'
    );
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1'
    );
    await clock.advance(10_000);
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-2'
    );
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-2'
    );
    expect(issuer.refreshes).toHaveLength(1);
  });

  it('runs one refresh for concurrent callers (single flight)', async () => {
    const m = manager([site('central'), site('lumi')]);
    await deviceLogin(m);
    await clock.advance(300_000);
    const answer = deferred<ITokenResponse>();
    issuer.refreshHook = () => answer.promise;
    const calls = [
      m.authorizationHeader('central'),
      m.authorizationHeader('central'),
      m.authorizationHeader('lumi')
    ];
    await flush();
    expect(issuer.refreshes).toHaveLength(1);
    answer.resolve(issuer.issue());
    expect(await Promise.all(calls)).toEqual([
      'Bearer access-SECRET-2',
      'Bearer access-SECRET-2',
      'Bearer access-SECRET-2'
    ]);
    expect(issuer.refreshes).toHaveLength(1);
  });

  it('forceRefresh gets a new token even if the current one is good', async () => {
    const m = manager();
    await deviceLogin(m);
    expect(await m.authorizationHeader('central', { forceRefresh: true })).toBe(
      'Bearer access-SECRET-2'
    );
  });

  it('stores the new refresh token before handing out the new access token', async () => {
    const m = manager([site('central', { persist_refresh_token: true })]);
    await deviceLogin(m);
    const key = m.loginKey('central');
    expect(await store.load(key)).toBe('refresh-SECRET-1');

    await clock.advance(300_000);
    const gate = deferred<void>();
    store.gate = gate.promise;
    let header: string | undefined;
    const call = m.authorizationHeader('central').then(h => (header = h));
    await flush();
    expect(issuer.refreshes).toHaveLength(1); // refreshed, but...
    expect(header).toBeUndefined(); // ...not handed out before it is stored
    gate.resolve();
    await call;
    expect(header).toBe('Bearer access-SECRET-2');
    expect(store.saves).toEqual(['refresh-SECRET-1', 'refresh-SECRET-2']);
    expect(await store.load(key)).toBe('refresh-SECRET-2');
  });

  it('does not store anything when persisting is not allowed', async () => {
    const m = manager();
    await deviceLogin(m);
    await clock.advance(300_000);
    await m.authorizationHeader('central');
    expect(store.saves).toEqual([]);
  });

  it('a refused refresh ends in login-needed with the reason', async () => {
    const m = manager([site('central', { persist_refresh_token: true })]);
    await deviceLogin(m);
    await clock.advance(300_000);
    issuer.refreshHook = () =>
      Promise.reject(
        new OidcProtocolError('invalid_grant', 'grant request is invalid')
      );
    const err = await failure(m.authorizationHeader('central'));
    expect(err).toBeInstanceOf(LoginNeededError);
    expect(err.message).toBe(
      'Not logged in to Central site: the login server refused to renew the ' +
        'login (invalid_grant: grant request is invalid). Log in to Central site ' +
        'from the Dask Sites panel or with %site login central'
    );
    expect(m.state('central')).toEqual({
      status: 'login-needed',
      reason:
        'the login server refused to renew the login (invalid_grant: grant request is invalid)'
    });
    expect(await store.load(m.loginKey('central'))).toBeUndefined();
    // no more refreshes with the dead token
    issuer.refreshHook = undefined;
    await failure(m.authorizationHeader('central'));
    expect(issuer.refreshes).toHaveLength(1);
  });

  it('a network error keeps the login; the call fails clearly', async () => {
    const m = manager();
    await deviceLogin(m);
    await clock.advance(300_000); // expired
    issuer.refreshHook = () =>
      Promise.reject(new OidcTransportError('fetch failed (ECONNREFUSED)'));
    const err = await failure(m.authorizationHeader('central'));
    expect(err).toBeInstanceOf(IssuerUnreachableError);
    expect(err.message).toBe(
      'Could not reach the login server of Central site to renew the login: ' +
        'fetch failed (ECONNREFUSED). You stay logged in; try again later'
    );
    expect(m.state('central').status).toBe('logged-in');

    issuer.refreshHook = undefined;
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-2'
    );
    expect(issuer.refreshes.map(r => r.token)).toEqual([
      'refresh-SECRET-1',
      'refresh-SECRET-1'
    ]);
  });

  it('a network error during an early refresh hands out the still valid token', async () => {
    const m = manager();
    await deviceLogin(m);
    await clock.advance(250_000); // due (80 %) but valid for 50 s
    issuer.refreshHook = () =>
      Promise.reject(new OidcTransportError('fetch failed (ETIMEDOUT)'));
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1'
    );
    expect(m.state('central').status).toBe('logged-in');
    expect(warnings.join('\n')).toMatch(/ETIMEDOUT/);
  });

  it('ends the login when the issuer gave no refresh token and the access token expired', async () => {
    const m = manager();
    await m.login('central');
    issuer.pollQueue.push({
      status: 'tokens',
      tokens: { accessToken: 'access-SECRET-x', expiresIn: 100 }
    });
    await clock.advance(5_000);
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-x'
    );
    await clock.advance(100_000);
    const err = await failure(m.authorizationHeader('central'));
    expect(err).toBeInstanceOf(LoginNeededError);
    expect(err.message).toMatch(/no refresh token/);
  });

  it('throws LoginNeededError naming the site when logged out', async () => {
    const m = manager([site('central'), site('lumi')]);
    const err = await failure(m.authorizationHeader('lumi'));
    expect(err).toBeInstanceOf(LoginNeededError);
    expect(err.message).toBe(
      'Not logged in to Lumi site. Log in to Lumi site from the Dask Sites ' +
        'panel or with %site login lumi'
    );
    expect((err as LoginNeededError).loginKey).toBe(m.loginKey('lumi'));
  });
});
