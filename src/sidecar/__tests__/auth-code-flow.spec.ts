/**
 * The code flow on its own (src/sidecar/auth/code-flow.ts): the
 * authorization URL, matching a callback to the pending login, and what a
 * matching callback means.
 */
import { CallbackError, LoginFailedError } from '../auth';
import {
  checkCallback,
  codeLoginExpired,
  isCallbackOf,
  prepareCodeLogin,
  sameString,
  unknownCallbackError,
  type IPendingCodeLogin
} from '../auth/code-flow';

import { FakeClock, START } from './fakes/clock';
import { FakeIssuer } from './fakes/issuer';
import { CALLBACK } from './fakes/sites';

const pending: IPendingCodeLogin = {
  state: 'state-abc',
  verifier: 'verifier-SECRET',
  redirectUri: CALLBACK,
  expiresAt: START + 600_000,
  silent: false
};

const context = {
  now: START,
  codeLoginTimeout: 600_000,
  label: 'Central site',
  redact: (text: string) => text.split('SECRET').join('[redacted]')
};

const callback = (query: string) =>
  new URL(`http://unix/oidc/callback?${query}`);

describe('isCallbackOf', () => {
  it('matches the state of the pending login only', () => {
    expect(isCallbackOf(pending, callback('code=c&state=state-abc'))).toBe(
      true
    );
    expect(isCallbackOf(pending, callback('code=c&state=state-abd'))).toBe(
      false
    );
    expect(isCallbackOf(pending, callback('code=c&state=state-ab'))).toBe(
      false
    );
    expect(isCallbackOf(pending, callback('code=c&state='))).toBe(false);
    expect(isCallbackOf(pending, callback('code=c'))).toBe(false);
    expect(isCallbackOf(undefined, callback('state=state-abc'))).toBe(false);
  });

  it('compares in constant time, also strings of other lengths', () => {
    expect(sameString('abc', 'abc')).toBe(true);
    expect(sameString('abc', 'abd')).toBe(false);
    expect(sameString('abc', 'abcd')).toBe(false);
    expect(sameString('é', 'e')).toBe(false);
  });

  it('an unmatched callback gets a CallbackError saying what to do', () => {
    const err = unknownCallbackError();
    expect(err).toBeInstanceOf(CallbackError);
    expect(err.message).toBe(
      'This login answer does not belong to a login in progress (unknown, ' +
        'already used or expired); start the login again from the Dask Sites panel'
    );
  });
});

describe('checkCallback', () => {
  it('an expired login is too late, whatever the callback says', () => {
    for (const query of ['code=c&state=state-abc', 'error=access_denied']) {
      const check = checkCallback(pending, callback(query), {
        ...context,
        now: pending.expiresAt
      });
      expect(check).toEqual({
        status: 'expired',
        reason:
          'the login in the browser was not finished within 10 min; start it again',
        error: expect.any(CallbackError)
      });
      expect(
        (check.status === 'expired' || check.status === 'refused') &&
          check.error.message
      ).toBe(
        'The login took too long: the login in the browser was not finished ' +
          'within 10 min; start it again'
      );
    }
  });

  it('an error parameter is a refusal, with its description', () => {
    const check = checkCallback(
      pending,
      callback('error=access_denied&error_description=no%20SECRET&state=x'),
      context
    );
    expect(check).toEqual({
      status: 'refused',
      reason:
        'the login server refused the login (access_denied: no [redacted])',
      error: expect.any(LoginFailedError)
    });
    expect(
      (check.status === 'expired' || check.status === 'refused') &&
        check.error.message
    ).toBe(
      'Login to Central site failed: the login server refused the login ' +
        '(access_denied: no [redacted])'
    );
  });

  it('an error parameter without description', () => {
    const check = checkCallback(
      pending,
      callback('error=server_error'),
      context
    );
    expect(check.status === 'refused' && check.reason).toBe(
      'the login server refused the login (server_error)'
    );
  });

  it('a silent login the issuer cannot answer without its page needs the page', () => {
    for (const error of [
      'login_required',
      'interaction_required',
      'consent_required',
      'account_selection_required'
    ]) {
      const query = `error=${error}&state=state-abc`;
      expect(
        checkCallback({ ...pending, silent: true }, callback(query), context)
      ).toEqual({ status: 'needs-page' });
      // Not silent: the same answer is a refusal.
      expect(checkCallback(pending, callback(query), context).status).toBe(
        'refused'
      );
    }
    // Any other error ends a silent login too; so does being late.
    const denied = callback('error=access_denied&state=state-abc');
    const silent = { ...pending, silent: true };
    expect(checkCallback(silent, denied, context).status).toBe('refused');
    expect(
      checkCallback(silent, callback('error=login_required'), {
        ...context,
        now: pending.expiresAt
      }).status
    ).toBe('expired');
  });

  it('otherwise the answer to exchange: the public redirect URI with the callback query', () => {
    const check = checkCallback(
      { ...pending, redirectUri: `${CALLBACK}?stale=1` },
      callback('code=good-code&state=state-abc&iss=x&iss=y'),
      context
    );
    expect(check.status).toBe('exchange');
    expect(check.status === 'exchange' && check.answerUrl.href).toBe(
      `${CALLBACK}?code=good-code&state=state-abc&iss=x&iss=y`
    );
  });
});

describe('prepareCodeLogin', () => {
  it('makes a state, a PKCE verifier and the authorization URL', async () => {
    const issuer = new FakeIssuer(new FakeClock());
    const login = await prepareCodeLogin(issuer, {
      redirectUri: CALLBACK,
      scope: 'openid',
      resource: ['urn:gw']
    });
    expect(login.state).toMatch(/^state-/);
    expect(login.verifier).toMatch(/^verifier-SECRET-/);
    const query = login.authorizationUrl.searchParams;
    expect(query.get('state')).toBe(login.state);
    expect(query.get('redirect_uri')).toBe(CALLBACK);
    expect(query.get('scope')).toBe('openid');
    expect(query.get('code_challenge')).toBe(
      `challenge(${login.verifier.length})`
    );
    expect(query.getAll('resource')).toEqual(['urn:gw']);
    expect(query.has('prompt')).toBe(false);
    expect(login.authorizationUrl.href).not.toContain(login.verifier);
  });
});

describe('codeLoginExpired', () => {
  it('resolves true at the expiry, false when aborted first', async () => {
    const clock = new FakeClock();
    let expired: boolean | undefined;
    void codeLoginExpired(
      clock,
      START + 600_000,
      new AbortController().signal
    ).then(e => (expired = e));
    await clock.advance(599_999);
    expect(expired).toBeUndefined();
    await clock.advance(1);
    expect(expired).toBe(true);

    const abort = new AbortController();
    const aborted = codeLoginExpired(clock, clock.now() + 1_000, abort.signal);
    abort.abort();
    expect(await aborted).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });
});
