/**
 * OIDC sessions: restoring a saved login at startup.
 * Fake issuer and fake clock (./fakes): no network, no openid-client.
 */
import { IssuerUnreachableError, OidcTransportError } from '../auth';

import {
  failure,
  issuer,
  manager,
  store,
  useSessionHarness
} from './fakes/harness';
import { site } from './fakes/sites';

useSessionHarness();

describe('restore at startup', () => {
  const persisted = () => site('central', { persist_refresh_token: true });

  it('restores a saved login with one refresh', async () => {
    const m = manager([persisted()]);
    await store.inner.save(m.loginKey('central'), 'refresh-SECRET-saved');
    issuer.accept('refresh-SECRET-saved');
    await m.restore();
    expect(m.state('central')).toMatchObject({
      status: 'logged-in',
      user: 'alice'
    });
    expect(issuer.refreshes.map(r => r.token)).toEqual([
      'refresh-SECRET-saved'
    ]);
    expect(await store.load(m.loginKey('central'))).toBe('refresh-SECRET-1');
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1'
    );
  });

  it('a refused saved login ends in login-needed', async () => {
    const m = manager([persisted()]);
    await store.inner.save(m.loginKey('central'), 'refresh-SECRET-old');
    await m.restore();
    const state = m.state('central');
    expect(state.status === 'login-needed' && state.reason).toMatch(
      /invalid_grant/
    );
    expect(await store.load(m.loginKey('central'))).toBeUndefined();
  });

  it('an unreachable issuer is retried when the site is used', async () => {
    const m = manager([persisted()]);
    await store.inner.save(m.loginKey('central'), 'refresh-SECRET-saved');
    issuer.accept('refresh-SECRET-saved');
    issuer.connectError = new OidcTransportError('fetch failed (ECONNREFUSED)');
    await m.restore();
    const state = m.state('central');
    expect(state.status === 'login-needed' && state.reason).toMatch(
      /could not reach.*ECONNREFUSED.*tried again/
    );
    expect(await failure(m.authorizationHeader('central'))).toBeInstanceOf(
      IssuerUnreachableError
    );
    issuer.connectError = undefined;
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1'
    );
    expect(m.state('central').status).toBe('logged-in');
  });

  it('ignores and deletes a saved token when persisting is off', async () => {
    const m = manager();
    await store.inner.save(m.loginKey('central'), 'refresh-SECRET-saved');
    await m.restore();
    expect(m.state('central')).toEqual({ status: 'logged-out' });
    expect(issuer.refreshes).toHaveLength(0);
    expect(await store.load(m.loginKey('central'))).toBeUndefined();
  });
});
