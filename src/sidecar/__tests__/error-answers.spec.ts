/** One table turns the sidecar's domain errors into HTTP answers. */
import { ERROR_CODES } from '../../protocol';
import {
  AuthConfigError,
  CallbackError,
  IssuerUnreachableError,
  LoginFailedError,
  LoginNeededError
} from '../auth';
import { GatewayError } from '../gateway';
import { errorAnswer, HTTP_STATUS } from '../http/error-answers';
import { SitesError } from '../sites';

describe('errorAnswer', () => {
  it('answers each kind of domain error with its code and status', () => {
    const cases: [Error, string, number][] = [
      [
        new LoginNeededError({
          loginKey: 'k',
          label: 'LUMI',
          site: 'lumi',
          issuer: 'x'
        }),
        'login-needed',
        409
      ],
      [
        new IssuerUnreachableError({
          issuer: 'x',
          label: 'LUMI',
          action: 'renew the login',
          detail: 'ECONNREFUSED',
          cause: new Error('connect ECONNREFUSED')
        }),
        'issuer-unreachable',
        502
      ],
      [new LoginFailedError('refused'), 'login-failed', 400],
      [new CallbackError('unknown state'), 'login-failed', 400],
      [
        new AuthConfigError('http issuer off the loopback'),
        'auth-misconfigured',
        500
      ],
      [
        new GatewayError('timeout', 'lumi', 'no answer'),
        'gateway-timeout',
        504
      ],
      [
        new GatewayError('invalid', 'lumi', 'bad options'),
        'gateway-invalid',
        422
      ],
      [
        new SitesError('no-cluster', 'lumi: no running cluster'),
        'no-cluster',
        409
      ]
    ];
    for (const [err, code, status] of cases) {
      const answer = errorAnswer(err);
      expect(answer).toMatchObject({ status, code, message: err.message });
    }
  });

  it('keeps the cause of a wrapped error', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const err = new IssuerUnreachableError({
      issuer: 'x',
      label: 'LUMI',
      action: 'start a login',
      detail: 'ECONNREFUSED',
      cause
    });
    expect(err.cause).toBe(cause);
    expect(
      new GatewayError('unreachable', 'lumi', 'down', { cause }).cause
    ).toBe(cause);
  });

  it('leaves anything else to the server (a 500 without details)', () => {
    expect(errorAnswer(new Error('a bug'))).toBeUndefined();
    expect(
      errorAnswer(Object.assign(new Error('x'), { code: 'login-needed' }))
    ).toBeUndefined();
    expect(errorAnswer('login-needed')).toBeUndefined();
  });

  it('has a status for every code the sidecar sends', () => {
    const sent = ERROR_CODES.filter(
      code => code !== 'network' && code !== 'bad-answer'
    );
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...sent].sort());
  });
});
