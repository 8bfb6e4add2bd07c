/**
 * OIDC sessions: logging in in the browser (code flow with PKCE).
 * Fake issuer and fake clock (./fakes): no network, no openid-client.
 */
import {
  AuthConfigError,
  CallbackError,
  LoginFailedError,
  type SessionManager
} from '../auth';

import { START } from './fakes/clock';
import {
  clock,
  failure,
  issuer,
  manager,
  useSessionHarness
} from './fakes/harness';
import { CALLBACK, site } from './fakes/sites';

useSessionHarness();

describe('code flow', () => {
  async function startCode(m: SessionManager): Promise<URL> {
    const pending = await m.login('central', { flow: 'code' });
    if (pending.status !== 'pending' || pending.flow !== 'code') {
      throw new Error(`unexpected ${JSON.stringify(pending)}`);
    }
    expect(pending.expiresAt).toBe(START + 600_000);
    return new URL(pending.authorizationUrl);
  }

  it('logs in through the callback with state and PKCE', async () => {
    const m = manager([site('central', { resource: 'urn:gw' })]);
    const auth = await startCode(m);
    expect(auth.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(auth.searchParams.getAll('resource')).toEqual(['urn:gw']);
    const state = auth.searchParams.get('state')!;

    // the sidecar may hand over its internal request URL: only the query counts
    const change = await m.completeCodeLogin(
      new URL(`http://unix/oidc/callback?code=good-code&state=${state}&iss=x`)
    );
    expect(change.sites).toEqual(['central']);
    expect(change.state.status).toBe('logged-in');
    const exchange = issuer.exchanges[0];
    expect(`${exchange.url.origin}${exchange.url.pathname}`).toBe(CALLBACK);
    expect(exchange.url.searchParams.get('code')).toBe('good-code');
    expect(exchange.checks).toEqual({
      expectedState: state,
      pkceCodeVerifier: expect.stringMatching(/^verifier-/)
    });
    expect(exchange.params).toEqual({ resource: 'urn:gw' });
    expect(await m.authorizationHeader('central')).toMatch(/^Bearer access-/);

    // the state is single use
    const err = await failure(
      m.completeCodeLogin(new URL(`${CALLBACK}?code=good-code&state=${state}`))
    );
    expect(err).toBeInstanceOf(CallbackError);
  });

  it('asks silently first; without a session at the issuer it goes on with the page', async () => {
    const m = manager();
    const silent = await startCode(m);
    expect(silent.searchParams.get('prompt')).toBe('none');
    const change = await m.completeCodeLogin(
      new URL(
        `${CALLBACK}?error=login_required&state=${silent.searchParams.get('state')}`
      )
    );
    // A new attempt, pending at the issuer's page: no prompt=none, a new state.
    const state = change.state;
    if (state.status !== 'pending' || state.flow !== 'code') {
      throw new Error(`unexpected ${JSON.stringify(state)}`);
    }
    const page = new URL(state.authorizationUrl);
    expect(page.searchParams.has('prompt')).toBe(false);
    expect(page.searchParams.get('state')).not.toBe(
      silent.searchParams.get('state')
    );
    expect(issuer.exchanges).toHaveLength(0);
    // The silent attempt's state is used up; the page's answer logs in.
    await failure(
      m.completeCodeLogin(
        new URL(
          `${CALLBACK}?code=good-code&state=${silent.searchParams.get('state')}`
        )
      )
    );
    const done = await m.completeCodeLogin(
      new URL(
        `${CALLBACK}?code=good-code&state=${page.searchParams.get('state')}`
      )
    );
    expect(done.state.status).toBe('logged-in');
  });

  it('silent_first: false asks with the page at once (an issuer that refuses prompt=none)', async () => {
    const m = manager([site('central', { silent_first: false })]);
    const page = await startCode(m);
    expect(page.searchParams.has('prompt')).toBe(false);
    // login_required to a login that was not silent is a refusal.
    const err = await failure(
      m.completeCodeLogin(
        new URL(
          `${CALLBACK}?error=login_required&state=${page.searchParams.get('state')}`
        )
      )
    );
    expect(err).toBeInstanceOf(LoginFailedError);
    expect(m.state('central').status).toBe('login-needed');
  });

  it('a page that cannot be prepared ends the login (never pending at a dead page)', async () => {
    const m = manager();
    const silent = await startCode(m);
    issuer.pkceChallenge = async () => {
      throw new Error('no randomness');
    };
    await failure(
      m.completeCodeLogin(
        new URL(
          `${CALLBACK}?error=login_required&state=${silent.searchParams.get('state')}`
        )
      )
    );
    expect(m.state('central').status).toBe('login-needed');
  });

  it('a login_required answer to the page itself ends in login-needed', async () => {
    const m = manager();
    const silent = await startCode(m);
    const change = await m.completeCodeLogin(
      new URL(
        `${CALLBACK}?error=login_required&state=${silent.searchParams.get('state')}`
      )
    );
    const page = new URL(
      change.state.status === 'pending' && change.state.flow === 'code'
        ? change.state.authorizationUrl
        : 'http://x'
    );
    const err = await failure(
      m.completeCodeLogin(
        new URL(
          `${CALLBACK}?error=login_required&state=${page.searchParams.get('state')}`
        )
      )
    );
    expect(err).toBeInstanceOf(LoginFailedError);
    expect(m.state('central').status).toBe('login-needed');
  });

  it('rejects an unknown state and keeps the login pending', async () => {
    const m = manager();
    await startCode(m);
    const err = await failure(
      m.completeCodeLogin(new URL(`${CALLBACK}?code=good-code&state=forged`))
    );
    expect(err).toBeInstanceOf(CallbackError);
    expect(m.state('central').status).toBe('pending');
    expect(issuer.exchanges).toHaveLength(0);
    await failure(m.completeCodeLogin(new URL(`${CALLBACK}?code=good-code`)));
  });

  it('expires after the timeout, and then the state is unknown', async () => {
    const m = manager();
    const auth = await startCode(m);
    await clock.advance(600_000);
    const state = m.state('central');
    expect(state.status === 'login-needed' && state.reason).toMatch(/10 min/);
    const err = await failure(
      m.completeCodeLogin(
        new URL(
          `${CALLBACK}?code=good-code&state=${auth.searchParams.get('state')}`
        )
      )
    );
    expect(err).toBeInstanceOf(CallbackError);
  });

  it('an error answer ends in login-needed', async () => {
    const m = manager();
    const auth = await startCode(m);
    const state = auth.searchParams.get('state');
    const err = await failure(
      m.completeCodeLogin(
        new URL(
          `${CALLBACK}?error=access_denied&error_description=no&state=${state}`
        )
      )
    );
    expect(err).toBeInstanceOf(LoginFailedError);
    expect(m.state('central')).toEqual({
      status: 'login-needed',
      reason: 'the login server refused the login (access_denied: no)'
    });
  });

  it('a refused code ends in login-needed', async () => {
    const m = manager();
    const auth = await startCode(m);
    const state = auth.searchParams.get('state');
    const err = await failure(
      m.completeCodeLogin(new URL(`${CALLBACK}?code=bad&state=${state}`))
    );
    expect(err).toBeInstanceOf(LoginFailedError);
    expect(m.state('central').status).toBe('login-needed');
  });

  it('needs a callback URL', async () => {
    const m = manager([site('central', { flow: 'code' })], {
      callbackUrl: undefined
    });
    expect(await failure(m.login('central'))).toBeInstanceOf(AuthConfigError);
  });

  it("uses the site's flow by default", async () => {
    const m = manager([site('central', { flow: 'code' })]);
    const state = await m.login('central');
    expect(state.status === 'pending' && state.flow).toBe('code');
  });
});
