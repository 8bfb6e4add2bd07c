/**
 * OIDC sessions: tokens never show in JSON, inspect, states or messages.
 * Fake issuer and fake clock (./fakes): no network, no openid-client.
 */
import { inspect } from 'node:util';

import { MemoryRefreshTokenStore, OidcProtocolError } from '../auth';

import {
  clock,
  deviceLogin,
  failure,
  issuer,
  manager,
  useSessionHarness
} from './fakes/harness';
import { site } from './fakes/sites';

useSessionHarness();

describe('tokens stay inside', () => {
  it('JSON, inspect and states carry no token', async () => {
    const memory = new MemoryRefreshTokenStore();
    const m = manager([site('central', { persist_refresh_token: true })], {
      store: memory
    });
    await deviceLogin(m);
    await m.authorizationHeader('central');
    const session = m.session('central');
    for (const text of [
      JSON.stringify(session),
      JSON.stringify(m),
      JSON.stringify(m.state('central')),
      JSON.stringify(memory),
      inspect(session, { depth: 10, showHidden: true }),
      inspect(m, { depth: 10, showHidden: true }),
      inspect(memory, { depth: 10, showHidden: true }),
      String(session)
    ]) {
      expect(text).not.toMatch(/SECRET/);
    }
    expect(JSON.parse(JSON.stringify(session))).toEqual({
      loginKey: m.loginKey('central'),
      kind: 'oidc',
      state: m.state('central')
    });
  });

  it('error messages from the issuer are scrubbed of tokens', async () => {
    const m = manager();
    await deviceLogin(m);
    await clock.advance(300_000);
    issuer.refreshHook = token =>
      Promise.reject(
        new OidcProtocolError('invalid_grant', `bad token ${token}`)
      );
    const err = await failure(m.authorizationHeader('central'));
    expect(err.message).toMatch(/bad token \[redacted\]/);
    const state = m.state('central');
    expect(state.status === 'login-needed' && state.reason).not.toMatch(
      /SECRET/
    );
  });
});
