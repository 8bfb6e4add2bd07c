/**
 * OIDC sessions: logging in with the device flow (RFC 8628).
 * Fake issuer and fake clock (./fakes): no network, no openid-client.
 */
import type { LoginState } from '../../protocol';

import {
  AuthConfigError,
  IssuerUnreachableError,
  LoginNeededError,
  OidcProtocolError,
  OidcTransportError,
  type DevicePollResult
} from '../auth';

import { START, flush } from './fakes/clock';
import { deferred } from './fakes/deferred';
import {
  clock,
  failure,
  issuer,
  manager,
  useSessionHarness,
  warnings
} from './fakes/harness';
import { site } from './fakes/sites';

useSessionHarness();

describe('device flow', () => {
  it('goes pending, then logged-in when approved', async () => {
    const m = manager([site('central', { resource: 'urn:gw' })]);
    const changes: LoginState[] = [];
    m.onChange(c => changes.push(c.state));

    const pending = await m.login('central');
    expect(pending).toEqual({
      status: 'pending',
      flow: 'device',
      userCode: 'ABCD-EFGH',
      verificationUri: 'http://127.0.0.1:9000/device',
      verificationUriComplete:
        'http://127.0.0.1:9000/device?user_code=ABCD-EFGH',
      expiresAt: START + 600_000
    });
    expect(issuer.deviceRequests).toEqual([
      { scope: 'openid profile offline_access', resource: ['urn:gw'] }
    ]);

    await clock.advance(5_000); // first poll: pending
    expect(issuer.polls.map(p => p.at - START)).toEqual([5_000]);
    expect(m.state('central').status).toBe('pending');

    issuer.pollQueue.push('approve');
    await clock.advance(5_000);
    expect(issuer.polls.map(p => p.at - START)).toEqual([5_000, 10_000]);
    expect(issuer.polls[1].params).toEqual({ resource: 'urn:gw' });
    expect(m.state('central')).toEqual({
      status: 'logged-in',
      user: 'alice',
      accessExpiresAt: START + 10_000 + 300_000
    });
    expect(changes.map(s => s.status)).toEqual(['pending', 'logged-in']);
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1-urn:gw'
    );
    // polling stopped
    await clock.advance(60_000);
    expect(issuer.polls).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);
  });

  it("polls at the issuer's interval and slows down on slow_down", async () => {
    issuer.device.interval = 2;
    const m = manager();
    await m.login('central');
    issuer.pollQueue.push({ status: 'pending' }, { status: 'slow-down' });
    await clock.advance(20_000);
    // 2 s, 4 s (slow_down: +5 s) → 11 s, 18 s
    expect(issuer.polls.map(p => p.at - START)).toEqual([
      2_000, 4_000, 11_000, 18_000
    ]);
  });

  it('settled() resolves when the login ends', async () => {
    const m = manager();
    await m.login('central');
    const settled = m.session('central').settled();
    issuer.pollQueue.push('approve');
    await clock.advance(5_000);
    expect((await settled).status).toBe('logged-in');
  });

  it('a second login() while pending returns the same pending login', async () => {
    const m = manager();
    const [a, b] = await Promise.all([m.login('central'), m.login('central')]);
    expect(a).toEqual(b);
    expect(issuer.deviceRequests).toHaveLength(1);
    expect(await m.login('central')).toEqual(a);
    expect(issuer.deviceRequests).toHaveLength(1);
  });

  it('ends in login-needed when the device code expires', async () => {
    issuer.device.expiresIn = 12;
    const m = manager();
    await m.login('central');
    await clock.advance(30_000);
    // polls at 5 and 10 s; at 12 s the code is dead: no more polls
    expect(issuer.polls.map(p => p.at - START)).toEqual([5_000, 10_000]);
    const state = m.state('central');
    expect(state.status).toBe('login-needed');
    expect(state.status === 'login-needed' && state.reason).toMatch(/expired/);
    expect(clock.pendingTimers).toBe(0);
    const err = await failure(m.authorizationHeader('central'));
    expect(err).toBeInstanceOf(LoginNeededError);
    expect(err.message).toMatch(/expired/);
  });

  it('ends in login-needed on expired_token or access_denied', async () => {
    const m = manager();
    await m.login('central');
    issuer.pollQueue.push(
      new OidcProtocolError('access_denied', 'user said no')
    );
    await clock.advance(5_000);
    expect(m.state('central')).toEqual({
      status: 'login-needed',
      reason: 'the login was declined at the login server'
    });

    await m.login('central');
    issuer.pollQueue.push(new OidcProtocolError('expired_token'));
    await clock.advance(5_000);
    const state = m.state('central');
    expect(state.status === 'login-needed' && state.reason).toMatch(/expired/);
  });

  it('keeps polling through network errors', async () => {
    const m = manager();
    await m.login('central');
    issuer.pollQueue.push(new OidcTransportError('fetch failed (ECONNRESET)'));
    issuer.pollQueue.push('approve');
    await clock.advance(10_000);
    expect(m.state('central').status).toBe('logged-in');
    expect(warnings.join('\n')).toMatch(/ECONNRESET/);
  });

  it('can be cancelled', async () => {
    const m = manager();
    await m.login('central');
    await clock.advance(5_000);
    m.cancelLogin('central');
    expect(m.state('central')).toEqual({ status: 'logged-out' });
    await clock.advance(60_000);
    expect(issuer.polls).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('can be cancelled while it is starting', async () => {
    const m = manager();
    const started = m.login('central');
    m.cancelLogin('central');
    expect(await started).toEqual({ status: 'logged-out' });
    await clock.advance(60_000);
    expect(issuer.polls).toHaveLength(0);
  });

  it('switching flows abandons the other pending login', async () => {
    const m = manager();
    await m.login('central');
    const code = await m.login('central', { flow: 'code' });
    expect(code.status === 'pending' && code.flow).toBe('code');
    await clock.advance(60_000);
    expect(issuer.polls).toHaveLength(0);
  });

  it('drops and revokes tokens of a poll that ends after a cancel', async () => {
    const m = manager();
    await m.login('central');
    const answer = deferred<DevicePollResult>();
    issuer.pollQueue.push('approve');
    const poll = issuer.pollDeviceAuthorization.bind(issuer);
    issuer.pollDeviceAuthorization = async (code, params) => {
      await answer.promise;
      return poll(code, params);
    };
    await clock.advance(5_000); // poll under way
    m.cancelLogin('central');
    answer.resolve({ status: 'pending' });
    await flush();
    expect(m.state('central')).toEqual({ status: 'logged-out' });
    expect(issuer.revoked).toEqual([['refresh-SECRET-1', 'refresh_token']]);
    await failure(m.authorizationHeader('central'));
  });

  it('refuses the device flow when the issuer has none', async () => {
    issuer.supportsDeviceFlow = false;
    const m = manager();
    const err = await failure(m.login('central'));
    expect(err).toBeInstanceOf(AuthConfigError);
    expect(err.message).toMatch(/"flow": "code"/);
    expect(m.state('central')).toEqual({ status: 'logged-out' });
  });

  it('reports an unreachable issuer when starting a login', async () => {
    issuer.connectError = new OidcTransportError('fetch failed (ECONNREFUSED)');
    const m = manager();
    const err = await failure(m.login('central'));
    expect(err).toBeInstanceOf(IssuerUnreachableError);
    expect(err.message).toMatch(/Central site.*ECONNREFUSED/);
    // discovery is retried next time
    issuer.connectError = undefined;
    expect((await m.login('central')).status).toBe('pending');
    expect(issuer.connects).toHaveLength(2);
  });
});
