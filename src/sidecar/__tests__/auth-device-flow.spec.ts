/**
 * The device flow on its own (src/sidecar/auth/device-flow.ts): the
 * RFC 8628 polling loop against the fake issuer and the fake clock, with
 * no session around it.
 */
import {
  AuthConfigError,
  OidcProtocolError,
  OidcTransportError
} from '../auth';
import {
  deviceCodeExpiry,
  devicePendingState,
  pollDeviceAuthorization,
  startDeviceLogin,
  type IDevicePolling
} from '../auth/device-flow';

import { FakeClock, START } from './fakes/clock';
import { FakeIssuer } from './fakes/issuer';

let clock: FakeClock;
let issuer: FakeIssuer;
let warnings: string[];

beforeEach(() => {
  clock = new FakeClock();
  issuer = new FakeIssuer(clock);
  warnings = [];
});

/** Polling of the fake issuer's device code; `overrides` change any part. */
function polling(overrides: Partial<IDevicePolling> = {}): IDevicePolling {
  return {
    client: issuer,
    device: issuer.device,
    expiresAt: deviceCodeExpiry(issuer.device, clock.now()),
    resource: 'urn:gw',
    clock,
    signal: new AbortController().signal,
    timing: { defaultPollInterval: 5_000, slowDownStep: 5_000 },
    isCurrent: () => true,
    label: 'Central site',
    redact: text => text.split('device-code-SECRET').join('[redacted]'),
    logger: { info: () => undefined, warn: m => warnings.push(m) },
    ...overrides
  };
}

const pollTimes = () => issuer.polls.map(p => p.at - START);

describe('pollDeviceAuthorization', () => {
  it('polls through pending and slow_down (which adds the step) to the tokens', async () => {
    issuer.device.interval = 2;
    issuer.pollQueue.push(
      { status: 'pending' },
      { status: 'slow-down' },
      'approve'
    );
    const outcome = pollDeviceAuthorization(polling());
    await clock.advance(30_000);
    // 2 s, 4 s (slow_down: 2 + 5 = 7 s) → 11 s
    expect(pollTimes()).toEqual([2_000, 4_000, 11_000]);
    expect(await outcome).toEqual({
      status: 'tokens',
      tokens: expect.objectContaining({ accessToken: 'access-SECRET-1-urn:gw' })
    });
    expect(issuer.polls[0]).toMatchObject({
      deviceCode: 'device-code-SECRET',
      params: { resource: 'urn:gw' }
    });
    expect(clock.pendingTimers).toBe(0);
  });

  it('uses the default interval when the issuer gives none', async () => {
    issuer.device.interval = 0;
    issuer.pollQueue.push({ status: 'pending' }, 'approve');
    const outcome = pollDeviceAuthorization(polling());
    await clock.advance(10_000);
    expect(pollTimes()).toEqual([5_000, 10_000]);
    expect((await outcome).status).toBe('tokens');
  });

  it('ends when the device code expires, without a poll after that', async () => {
    const outcome = pollDeviceAuthorization(
      polling({ expiresAt: START + 12_000 })
    );
    await clock.advance(30_000);
    expect(pollTimes()).toEqual([5_000, 10_000]);
    expect(await outcome).toEqual({
      status: 'expired',
      reason:
        'the login code expired before it was approved; start the login again'
    });
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([
    [
      new OidcProtocolError('expired_token'),
      'the login code expired before it was approved; start the login again'
    ],
    [
      new OidcProtocolError('access_denied', 'user said no'),
      'the login was declined at the login server'
    ],
    [
      new OidcProtocolError('invalid_grant', 'device-code-SECRET is unknown'),
      'the login server refused the login (invalid_grant: [redacted] is unknown)'
    ]
  ])('a refusal (%s) ends the polling with its reason', async (err, reason) => {
    issuer.pollQueue.push(err);
    const outcome = pollDeviceAuthorization(polling());
    await clock.advance(60_000);
    expect(await outcome).toEqual({ status: 'refused', reason });
    expect(issuer.polls).toHaveLength(1);
  });

  it('keeps polling through a network blip, with a warning', async () => {
    issuer.pollQueue.push(
      new OidcTransportError('fetch failed (ECONNRESET) device-code-SECRET'),
      'approve'
    );
    const outcome = pollDeviceAuthorization(polling());
    await clock.advance(10_000);
    expect(pollTimes()).toEqual([5_000, 10_000]);
    expect((await outcome).status).toBe('tokens');
    expect(warnings).toEqual([
      'login to Central site: polling the login server failed ' +
        '(fetch failed (ECONNRESET) [redacted]); retrying'
    ]);
  });

  it('stops at once when aborted', async () => {
    const abort = new AbortController();
    const outcome = pollDeviceAuthorization(polling({ signal: abort.signal }));
    await clock.advance(4_000);
    abort.abort();
    expect(await outcome).toEqual({ status: 'abandoned' });
    await clock.advance(60_000);
    expect(issuer.polls).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('hands back tokens that came after the attempt went stale', async () => {
    let current = true;
    const poll = issuer.pollDeviceAuthorization.bind(issuer);
    issuer.pollDeviceAuthorization = async (code, params) => {
      const result = await poll(code, params);
      current = false; // cancelled while the answer was on its way
      return result;
    };
    issuer.pollQueue.push('approve');
    const outcome = pollDeviceAuthorization(
      polling({ isCurrent: () => current })
    );
    await clock.advance(5_000);
    expect(await outcome).toEqual({
      status: 'abandoned',
      lateTokens: expect.objectContaining({ refreshToken: 'refresh-SECRET-1' })
    });
  });

  it('does not report a refusal for a stale attempt', async () => {
    let current = true;
    issuer.pollDeviceAuthorization = async () => {
      current = false;
      throw new OidcProtocolError('access_denied');
    };
    const outcome = pollDeviceAuthorization(
      polling({ isCurrent: () => current })
    );
    await clock.advance(5_000);
    expect(await outcome).toEqual({ status: 'abandoned' });
  });
});

describe('starting a device login', () => {
  it('asks for a device code with the scope and resources', async () => {
    const device = await startDeviceLogin(
      issuer,
      { scope: 'openid offline_access', resource: ['urn:a', 'urn:b'] },
      'Central site'
    );
    expect(device.userCode).toBe('ABCD-EFGH');
    expect(issuer.deviceRequests).toEqual([
      { scope: 'openid offline_access', resource: ['urn:a', 'urn:b'] }
    ]);
  });

  it('refuses an issuer without a device flow', async () => {
    issuer.supportsDeviceFlow = false;
    await expect(
      startDeviceLogin(issuer, { scope: 'openid' }, 'Central site')
    ).rejects.toThrow(
      new AuthConfigError(
        'the login server of Central site offers no device login; ' +
          'set "flow": "code" in the site registry'
      )
    );
    expect(issuer.deviceRequests).toHaveLength(0);
  });

  it('the code lives at least 1 s; the pending state shows where to enter it', () => {
    expect(deviceCodeExpiry({ ...issuer.device, expiresIn: 0 }, START)).toBe(
      START + 1_000
    );
    expect(deviceCodeExpiry(issuer.device, START)).toBe(START + 600_000);
    expect(
      devicePendingState(
        { ...issuer.device, verificationUriComplete: undefined },
        START + 5
      )
    ).toEqual({
      status: 'pending',
      flow: 'device',
      userCode: 'ABCD-EFGH',
      verificationUri: 'http://127.0.0.1:9000/device',
      expiresAt: START + 5
    });
  });
});
