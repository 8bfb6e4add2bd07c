/**
 * Login sessions (src/sidecar/auth) with a fake issuer and a fake clock:
 * no network, no openid-client.
 */
import { inspect } from 'node:util';

import type { ISiteConfig, LoginState } from '../../protocol';
import {
  AuthConfigError,
  CallbackError,
  IssuerUnreachableError,
  LoginFailedError,
  LoginNeededError,
  MemoryRefreshTokenStore,
  NotRequiredSession,
  OidcProtocolError,
  OidcTransportError,
  SessionManager,
  checkIssuerUrl,
  loginKeyOf,
  type DevicePollResult,
  type IClock,
  type IDeviceAuthorization,
  type IOidcClient,
  type IOidcConnectOptions,
  type IOidcConnector,
  type IRefreshTokenStore,
  type IResourceParams,
  type ITokenResponse
} from '../auth';

// ------------------------------------------------------------------ fakes

const START = Date.UTC(2026, 0, 1);

/** Flush promise chains and setImmediate callbacks. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise(resolve => setImmediate(resolve));
  }
}

class FakeClock implements IClock {
  t = START;
  #timers: { at: number; resolve: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise(resolve => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const timer = { at: this.t + Math.max(0, ms), resolve };
      this.#timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.#timers = this.#timers.filter(t => t !== timer);
          resolve();
        },
        { once: true }
      );
    });
  }

  /** Move time forward, firing timers in order (and letting code run). */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      const due = this.#timers
        .filter(t => t.at <= target)
        .sort((a, b) => a.at - b.at)[0];
      if (!due) {
        break;
      }
      this.#timers = this.#timers.filter(t => t !== due);
      this.t = Math.max(this.t, due.at);
      due.resolve();
    }
    this.t = target;
    await flush();
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }
}

function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A fake issuer: rotating refresh tokens (reuse is refused), recorded
 * calls, and hooks to make any call fail or hang. Every token contains
 * "SECRET" so leaks are easy to find.
 */
class FakeIssuer implements IOidcConnector, IOidcClient {
  supportsDeviceFlow = true;
  supportsRevocation = true;
  connects: IOidcConnectOptions[] = [];
  log: string[] = [];
  polls: { at: number; deviceCode: string; params: IResourceParams }[] = [];
  deviceRequests: ({ scope: string } & IResourceParams)[] = [];
  refreshes: { token: string; params: IResourceParams; at: number }[] = [];
  exchanges: { url: URL; checks: unknown; params: IResourceParams }[] = [];
  revoked: [string, string][] = [];
  /** Next poll answers; empty = pending. */
  pollQueue: (DevicePollResult | Error | 'approve')[] = [];
  device: IDeviceAuthorization = {
    deviceCode: 'device-code-SECRET',
    userCode: 'ABCD-EFGH',
    verificationUri: 'http://127.0.0.1:9000/device',
    verificationUriComplete: 'http://127.0.0.1:9000/device?user_code=ABCD-EFGH',
    expiresIn: 600
  };
  expiresIn = 300;
  user = 'alice';
  /** Override the refresh answer once (a value, an error or a promise). */
  refreshHook?: (
    token: string,
    params: IResourceParams
  ) => Promise<ITokenResponse> | undefined;
  revokeError?: Error;
  connectError?: Error;

  #serial = 0;
  #validRefresh = new Set<string>();

  async connect(options: IOidcConnectOptions): Promise<IOidcClient> {
    this.connects.push(options);
    if (this.connectError) {
      throw this.connectError;
    }
    return this;
  }

  issue(resource?: string | string[]): ITokenResponse {
    const n = ++this.#serial;
    const refreshToken = `refresh-SECRET-${n}`;
    this.#validRefresh.add(refreshToken);
    return {
      accessToken: `access-SECRET-${n}${resource ? `-${resource}` : ''}`,
      refreshToken,
      expiresIn: this.expiresIn,
      idClaims: { sub: `sub-${this.user}`, preferred_username: this.user }
    };
  }

  /** Make the refresh token known as valid (e.g. a stored one). */
  accept(refreshToken: string): void {
    this.#validRefresh.add(refreshToken);
  }

  async startDeviceAuthorization(
    params: { scope: string } & IResourceParams
  ): Promise<IDeviceAuthorization> {
    this.deviceRequests.push(params);
    return { ...this.device };
  }

  async pollDeviceAuthorization(
    deviceCode: string,
    params: IResourceParams
  ): Promise<DevicePollResult> {
    this.polls.push({ at: clock.now(), deviceCode, params });
    const next = this.pollQueue.shift();
    if (next === undefined) {
      return { status: 'pending' };
    }
    if (next === 'approve') {
      return { status: 'tokens', tokens: this.issue(params.resource) };
    }
    if (next instanceof Error) {
      throw next;
    }
    return next;
  }

  randomState(): string {
    return `state-${++this.#serial}`;
  }

  randomPkceVerifier(): string {
    return `verifier-SECRET-${++this.#serial}`;
  }

  async pkceChallenge(verifier: string): Promise<string> {
    return `challenge(${verifier.length})`;
  }

  authorizationUrl(
    params: {
      redirectUri: string;
      scope: string;
      state: string;
      codeChallenge: string;
    } & IResourceParams
  ): URL {
    const url = new URL('http://127.0.0.1:9000/auth');
    url.searchParams.set('redirect_uri', params.redirectUri);
    url.searchParams.set('scope', params.scope);
    url.searchParams.set('state', params.state);
    url.searchParams.set('code_challenge', params.codeChallenge);
    for (const r of [params.resource ?? []].flat()) {
      url.searchParams.append('resource', r);
    }
    return url;
  }

  async exchangeCode(
    url: URL,
    checks: { expectedState: string; pkceCodeVerifier: string },
    params: IResourceParams
  ): Promise<ITokenResponse> {
    this.exchanges.push({ url, checks, params });
    if (url.searchParams.get('code') !== 'good-code') {
      throw new OidcProtocolError('invalid_grant', 'bad code');
    }
    return this.issue(params.resource);
  }

  async refresh(
    refreshToken: string,
    params: IResourceParams
  ): Promise<ITokenResponse> {
    this.refreshes.push({ token: refreshToken, params, at: clock.now() });
    const hooked = this.refreshHook?.(refreshToken, params);
    if (hooked) {
      return hooked;
    }
    if (!this.#validRefresh.has(refreshToken)) {
      throw new OidcProtocolError('invalid_grant', 'grant request is invalid');
    }
    this.#validRefresh.delete(refreshToken); // rotation
    return this.issue(params.resource);
  }

  async revoke(token: string, hint: string): Promise<void> {
    this.log.push(`revoke ${hint}`);
    if (this.revokeError) {
      throw this.revokeError;
    }
    this.revoked.push([token, hint]);
    this.#validRefresh.delete(token);
  }
}

/** A store that records the order of operations. */
class RecordingStore implements IRefreshTokenStore {
  inner = new MemoryRefreshTokenStore();
  saves: (string | undefined)[] = [];
  gate?: Promise<void>;

  async load(key: string): Promise<string | undefined> {
    return this.inner.load(key);
  }

  async save(key: string, token: string | undefined): Promise<void> {
    if (this.gate) {
      await this.gate;
    }
    this.saves.push(token);
    await this.inner.save(key, token);
  }
}

const ISSUER = 'http://127.0.0.1:9000';
const CALLBACK = 'http://127.0.0.1:8888/dask-sites/oidc/callback';

function site(
  name: string,
  auth: Partial<Extract<ISiteConfig['auth'], { type: 'oidc' }>> = {}
): ISiteConfig {
  return {
    name,
    label: `${name[0].toUpperCase()}${name.slice(1)} site`,
    gateway: { address: `http://127.0.0.1:80${name.length}` },
    auth: {
      type: 'oidc',
      issuer: ISSUER,
      client_id: 'dask-sites',
      ...auth
    }
  };
}

let clock: FakeClock;
let issuer: FakeIssuer;
let store: RecordingStore;
let warnings: string[];
let infos: string[];
/** Every error message seen, checked for tokens at the end of each test. */
let errorsSeen: string[];

function manager(
  sites: ISiteConfig[] = [site('central')],
  extra: Partial<ConstructorParameters<typeof SessionManager>[0]> = {}
): SessionManager {
  return new SessionManager({
    sites,
    connector: issuer,
    store,
    clock,
    logger: {
      info: m => infos.push(m),
      warn: m => warnings.push(m)
    },
    callbackUrl: CALLBACK,
    ...extra
  });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    errorsSeen.push(String(err), (err as Error).message);
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** Log in `site` with the device flow; approved at the first poll. */
async function deviceLogin(m: SessionManager, name = 'central') {
  const pending = await m.login(name);
  expect(pending.status).toBe('pending');
  issuer.pollQueue.push('approve');
  await clock.advance(5_000);
  expect(m.state(name).status).toBe('logged-in');
}

beforeEach(() => {
  clock = new FakeClock();
  issuer = new FakeIssuer();
  store = new RecordingStore();
  warnings = [];
  infos = [];
  errorsSeen = [];
});

afterEach(() => {
  for (const text of [...errorsSeen, ...warnings, ...infos]) {
    expect(text).not.toMatch(/SECRET/);
  }
});

// ------------------------------------------------------------------ device flow

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

// ------------------------------------------------------------------ refresh

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

// ------------------------------------------------------------------ logout

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

// ------------------------------------------------------------------ sharing

describe('sites sharing a login', () => {
  it('share one session per issuer + client id', async () => {
    const m = manager([
      site('central', {
        resource: 'urn:central',
        scopes: ['openid', 'gateway']
      }),
      site('lumi', {
        resource: 'urn:lumi',
        scopes: ['openid', 'offline_access']
      }),
      site('other', { client_id: 'another-client' })
    ]);
    expect(m.session('central')).toBe(m.session('lumi'));
    expect(m.session('other')).not.toBe(m.session('central'));
    expect(m.loginKey('central')).toBe(m.loginKey('lumi'));
    expect(m.sitesOf(m.loginKey('central'))).toEqual(['central', 'lumi']);
    expect(m.loginKey('central')).toMatch(/^oidc-[0-9a-f]{16}$/);

    const changes: { sites: string[]; status: string }[] = [];
    m.onChange(c => changes.push({ sites: c.sites, status: c.state.status }));
    await m.login('central');
    expect(issuer.deviceRequests[0]).toEqual({
      scope: 'openid gateway offline_access',
      resource: ['urn:central', 'urn:lumi']
    });
    issuer.pollQueue.push('approve');
    await clock.advance(5_000);
    expect(m.state('lumi').status).toBe('logged-in');
    expect(m.state('other').status).toBe('logged-out');
    expect(changes).toEqual([
      { sites: ['central', 'lumi'], status: 'pending' },
      { sites: ['central', 'lumi'], status: 'logged-in' }
    ]);

    // each site gets a token for its own resource, from the one login
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1-urn:central'
    );
    expect(await m.authorizationHeader('lumi')).toBe(
      'Bearer access-SECRET-2-urn:lumi'
    );
    expect(issuer.refreshes.map(r => [r.token, r.params.resource])).toEqual([
      ['refresh-SECRET-1', 'urn:lumi']
    ]);

    await m.logout('lumi');
    expect(m.state('central').status).toBe('logged-out');
  });

  it('keys ignore a trailing slash of the issuer', () => {
    expect(loginKeyOf(site('a').auth)).toBe(
      loginKeyOf(site('b', { issuer: `${ISSUER}/` }).auth)
    );
    expect(loginKeyOf({ type: 'none' })).toBe('none');
  });

  it('refreshes of different resources never reuse a rotated refresh token', async () => {
    const m = manager([
      site('central', { resource: 'urn:central' }),
      site('lumi', { resource: 'urn:lumi' })
    ]);
    await deviceLogin(m);
    await clock.advance(300_000);
    const headers = await Promise.all([
      m.authorizationHeader('central'),
      m.authorizationHeader('lumi')
    ]);
    expect(headers).toEqual([
      'Bearer access-SECRET-2-urn:central',
      'Bearer access-SECRET-3-urn:lumi'
    ]);
    expect(issuer.refreshes.map(r => r.token)).toEqual([
      'refresh-SECRET-1',
      'refresh-SECRET-2'
    ]);
    expect(m.state('central').status).toBe('logged-in');
  });
});

// ------------------------------------------------------------------ code flow

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

// ------------------------------------------------------------------ restore

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

// ------------------------------------------------------------------ issuers

describe('issuer URLs', () => {
  it('allows insecure requests only on the loopback', () => {
    expect(checkIssuerUrl('https://login.example.org/realms/x')).toMatchObject({
      allowInsecureRequests: false
    });
    for (const url of [
      'http://127.0.0.1:9000',
      'http://127.1.2.3/oidc',
      'http://localhost:9000',
      'http://[::1]:9000',
      'http://[0:0:0:0:0:0:0:1]:9000'
    ]) {
      expect(checkIssuerUrl(url).allowInsecureRequests).toBe(true);
    }
    for (const url of [
      'http://login.example.org',
      'http://10.0.0.1:9000',
      'http://127.0.0.1.nip.io',
      'http://[::2]:9000',
      'http://0.0.0.0:9000',
      'ftp://127.0.0.1'
    ]) {
      expect(() => checkIssuerUrl(url)).toThrow(AuthConfigError);
    }
  });

  it('passes the flag to the connector', async () => {
    const m = manager([site('central', { issuer: 'http://localhost:9000' })]);
    await m.login('central');
    expect(issuer.connects[0].allowInsecureRequests).toBe(true);
    expect(issuer.connects[0].issuer.href).toBe('http://localhost:9000/');
  });

  it('an http issuer elsewhere degrades only its sites', async () => {
    const m = manager([
      site('central'),
      site('far', { issuer: 'http://login.example.org' })
    ]);
    const state = m.state('far');
    expect(state.status === 'login-needed' && state.reason).toMatch(
      /plain http: only https/
    );
    const err = await failure(m.login('far'));
    expect(err).toBeInstanceOf(AuthConfigError);
    expect(await failure(m.authorizationHeader('far'))).toBeInstanceOf(
      AuthConfigError
    );
    expect(issuer.connects).toHaveLength(0);
    expect((await m.login('central')).status).toBe('pending');
  });
});

// ------------------------------------------------------------------ not required

describe('sites without a login', () => {
  it('none: no header; jupyterhub: the API token', async () => {
    const m = new SessionManager({
      sites: [
        { ...site('hub'), auth: { type: 'jupyterhub' } },
        { ...site('local'), auth: { type: 'none' } }
      ],
      env: { JUPYTERHUB_API_TOKEN: 'hub-SECRET' }
    });
    expect(m.state('hub')).toEqual({ status: 'not-required' });
    expect(m.state('local')).toEqual({ status: 'not-required' });
    expect(await m.authorizationHeader('hub')).toBe('token hub-SECRET');
    expect(await m.authorizationHeader('local')).toBeUndefined();
    expect(await m.login('hub')).toEqual({ status: 'not-required' });
    expect(JSON.stringify(m)).not.toMatch(/SECRET/);
  });

  it('jupyterhub without the token is a clear error', async () => {
    const session = new NotRequiredSession({
      kind: 'jupyterhub',
      loginKey: 'jupyterhub',
      env: {}
    });
    const err = await failure(
      session.authorizationHeader({ site: { name: 'hub', label: 'Hub' } })
    );
    expect(err).toBeInstanceOf(AuthConfigError);
    expect(err.message).toMatch(/Hub uses JupyterHub.*JUPYTERHUB_API_TOKEN/);
  });

  it('unknown sites are a clear error', () => {
    expect(() => manager().session('nowhere')).toThrow(
      'unknown site "nowhere"'
    );
  });
});

// ------------------------------------------------------------------ secrecy

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
