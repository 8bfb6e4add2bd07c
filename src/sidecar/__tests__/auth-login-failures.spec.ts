/**
 * Failure texts on their own (src/sidecar/auth/login-failures.ts): reasons
 * of ended logins, the errors wrapping what the issuer answered, redaction.
 */
import {
  AuthConfigError,
  IssuerUnreachableError,
  LoginFailedError,
  OidcProtocolError,
  OidcTransportError
} from '../auth';
import {
  codeExpiredReason,
  deviceExpiredReason,
  deviceRefusedReason,
  errorMessage,
  issuerUnreachable,
  loginFailure,
  redactTokens,
  type IFailureContext
} from '../auth/login-failures';

const TOKEN = 'token-SECRET-1';
const context: IFailureContext = {
  issuer: 'http://127.0.0.1:9000',
  label: 'Central site',
  redact: text => redactTokens(text, [TOKEN])
};

describe('redactTokens', () => {
  it('replaces every occurrence of every token', () => {
    expect(
      redactTokens(`a ${TOKEN} b ${TOKEN} c refresh-SECRET-2`, [
        TOKEN,
        undefined,
        'refresh-SECRET-2'
      ])
    ).toBe('a [redacted] b [redacted] c [redacted]');
  });

  it('skips tokens shorter than 8 characters', () => {
    expect(redactTokens('the code abc1234 is short', ['abc1234', ''])).toBe(
      'the code abc1234 is short'
    );
    expect(redactTokens('the code abcd1234', ['abcd1234'])).toBe(
      'the code [redacted]'
    );
  });
});

describe('reasons', () => {
  it('say how long a browser login may take, in minutes', () => {
    expect(codeExpiredReason(600_000)).toBe(
      'the login in the browser was not finished within 10 min; start it again'
    );
    expect(codeExpiredReason(90_000)).toMatch(/within 2 min/);
  });

  it('tell the device refusals apart', () => {
    const redact = context.redact;
    expect(
      deviceRefusedReason(new OidcProtocolError('expired_token'), redact)
    ).toBe(deviceExpiredReason());
    expect(deviceExpiredReason()).toBe(
      'the login code expired before it was approved; start the login again'
    );
    expect(
      deviceRefusedReason(new OidcProtocolError('access_denied', 'no'), redact)
    ).toBe('the login was declined at the login server');
    expect(
      deviceRefusedReason(
        new OidcProtocolError('invalid_client', `unknown ${TOKEN}`),
        redact
      )
    ).toBe(
      'the login server refused the login (invalid_client: unknown [redacted])'
    );
  });
});

describe('loginFailure', () => {
  it('a refusal is a LoginFailedError with the refusal, redacted, as cause', () => {
    const refusal = new OidcProtocolError('invalid_scope', `bad ${TOKEN}`);
    const { error, reason } = loginFailure(refusal, 'start a login', context);
    expect(reason).toBe(
      'the login server refused to start a login (invalid_scope: bad [redacted])'
    );
    expect(error).toBeInstanceOf(LoginFailedError);
    expect(error.message).toBe(`Login to Central site failed: ${reason}`);
    // A copy: the issuer's own text may quote a token.
    expect(error.cause).toBeInstanceOf(OidcProtocolError);
    expect(error.cause).not.toBe(refusal);
    expect((error.cause as OidcProtocolError).error).toBe('invalid_scope');
    expect((error.cause as Error).message).toBe(
      'invalid_scope: bad [redacted]'
    );
  });

  it('an auth error stays as it is', () => {
    const config = new AuthConfigError(`no device login for ${TOKEN}`);
    const { error, reason } = loginFailure(config, 'start a login', context);
    expect(error).toBe(config);
    expect(reason).toBe('no device login for [redacted]');
  });

  it('anything else means the issuer could not be reached', () => {
    const blip = new OidcTransportError('fetch failed (ECONNREFUSED)');
    const { error, reason } = loginFailure(blip, 'finish the login', context);
    expect(error).toBeInstanceOf(IssuerUnreachableError);
    expect(error.message).toBe(
      'Could not reach the login server of Central site to finish the login: ' +
        'fetch failed (ECONNREFUSED)'
    );
    expect(reason).toBe(error.message);
    expect((error.cause as Error).message).toBe(blip.message);
    expect((error.cause as Error).name).toBe('OidcTransportError');
    expect((error as IssuerUnreachableError).issuer).toBe(context.issuer);
  });
});

describe('issuerUnreachable', () => {
  it('says the login is kept when it is', () => {
    const cause = new Error('ETIMEDOUT');
    const error = issuerUnreachable(context, 'renew the login', 'ETIMEDOUT', {
      keptLogin: true,
      cause
    });
    expect(error.message).toBe(
      'Could not reach the login server of Central site to renew the login: ' +
        'ETIMEDOUT. You stay logged in; try again later'
    );
    expect(error.detail).toBe('ETIMEDOUT');
    expect(error.cause).toBe(cause);
    expect(issuerUnreachable(context, 'renew the login', 'x').cause).toBe(
      undefined
    );
  });
});

describe('errorMessage', () => {
  it('is the message of an error, else the thrown value as text', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('42');
  });
});
