/**
 * One OpenID Connect login (one issuer + client id), shared by every site
 * configured with that pair: its state machine, tokens and refreshes.
 *
 * States (`LoginState` in src/protocol/site-state.ts):
 *
 *   logged-out ──login()──▶ pending (device | code)
 *   pending ──approved / callback ok──▶ logged-in
 *   pending ──cancelLogin()──▶ logged-out
 *   pending ──code expired, denied, refused──▶ login-needed (reason)
 *   logged-in ──refresh refused (invalid_grant, ...)──▶ login-needed (reason)
 *   logged-in ──refresh failed on the network──▶ logged-in (the call fails)
 *   any ──logout()──▶ logged-out
 *   logged-out ──restore() with a stored refresh token──▶ logged-in | login-needed
 *
 * An expired device or browser login ends in `login-needed` (not
 * `logged-out`) because only that state carries a reason to show.
 *
 * Tokens are kept in private fields: `JSON.stringify`, `util.inspect` and
 * error messages never show them; they leave only through
 * `authorizationHeader()`.
 */
import type { LoginState } from '../../protocol';

import { systemClock, type IClock } from './clock';
import {
  checkCallback,
  codeLoginExpired,
  isCallbackOf,
  prepareCodeLogin,
  unknownCallbackError,
  type IPendingCodeLogin
} from './code-flow';
import {
  deviceCodeExpiry,
  devicePendingState,
  pollDeviceAuthorization,
  startDeviceLogin
} from './device-flow';
import {
  AuthConfigError,
  IssuerUnreachableError,
  LoginNeededError
} from './errors';
import { IssuerConnection, type ConnectIssuer } from './issuer-connection';
import { checkIssuerUrl } from './issuer-url';
import {
  codeExpiredReason,
  errorMessage,
  issuerUnreachable,
  loginFailure,
  redactTokens,
  type IFailureContext
} from './login-failures';
import {
  OidcProtocolError,
  type IDeviceAuthorization,
  type IOidcClient,
  type IOidcConnector,
  type ITokenResponse
} from './issuer-client';
import type { IRefreshTokenStore } from './refresh-store';
import { revokeLogin, revokeQuietly } from './revocation';
import {
  StateListeners,
  type IAuthLogger,
  type IAuthorizationOptions,
  type ILoginOptions,
  type ILogoutResult,
  type ISession,
  type ISessionSummary,
  type ISiteRef
} from './session-types';
import {
  DEFAULT_TIMING,
  readTokenAnswer,
  refreshDue,
  type ISessionTiming,
  type ITokenValidity
} from './token-policy';

/** What the sites sharing a session agree on (see `SessionManager`). */
export interface IOidcSessionConfig {
  loginKey: string;
  issuer: string;
  clientId: string;
  /** The sites that share this login, in registry order (at least one). */
  sites: ISiteRef[];
  /** Requested at login (the union of the sites' scopes). */
  scopes: string[];
  /** RFC 8707 resources of the sites; the first is the default. */
  resources: string[];
  /** Flow of `login()` without an explicit one. */
  defaultFlow: 'device' | 'code';
  /** May the refresh token be written to the store? */
  persistRefreshToken: boolean;
}

export interface IOidcSessionDeps {
  connector: IOidcConnector;
  store?: IRefreshTokenStore;
  clock?: IClock;
  logger?: IAuthLogger;
  /**
   * The sidecar's public OAuth callback URL (under the Jupyter server URL,
   * e.g. `http://127.0.0.1:8888/dask-sites/oidc/callback`); needed for the
   * code flow only.
   */
  callbackUrl?: string;
  timing?: Partial<ISessionTiming>;
}

interface IAccessToken extends ITokenValidity {
  token: string;
}

interface IPendingBase {
  /** Which login attempt this is (see `#attempt`). */
  attempt: number;
  abort: AbortController;
  expiresAt: number;
}

interface IPendingDevice extends IPendingBase {
  flow: 'device';
}

interface IPendingCode extends IPendingBase, IPendingCodeLogin {
  flow: 'code';
}

type Pending = IPendingDevice | IPendingCode;

export class OidcSession implements ISession {
  readonly kind = 'oidc';
  readonly loginKey: string;
  readonly issuer: string;
  readonly clientId: string;

  readonly #config: IOidcSessionConfig;
  readonly #store?: IRefreshTokenStore;
  readonly #clock: IClock;
  readonly #logger?: IAuthLogger;
  readonly #callbackUrl?: string;
  readonly #timing: ISessionTiming;
  readonly #listeners: StateListeners;
  readonly #failureContext: IFailureContext;
  /** Absent when the issuer URL is unusable (then `#configError` says why). */
  readonly #connection?: IssuerConnection;
  readonly #configError?: AuthConfigError;
  readonly #connect: ConnectIssuer = action =>
    this.#connection?.connect(action) ?? Promise.reject(this.#configError);

  #state: LoginState = { status: 'logged-out' };
  #settledWaiters: ((state: LoginState) => void)[] = [];

  // Secrets: private fields only.
  #refreshToken?: string;
  readonly #access = new Map<string, IAccessToken>();

  #user?: string;
  #sessionExpiresAt?: number;
  /** A stored refresh token could not be tried yet (issuer unreachable). */
  #restorable = false;
  #pending?: Pending;
  #starting?: Promise<LoginState>;
  #disposed = false;

  /** Bumped when the tokens are replaced or dropped: stale refreshes notice. */
  #generation = 0;
  /** Bumped when a login starts, is cancelled or the session logs out. */
  #attempt = 0;
  /** Token endpoint calls that use the refresh token, one at a time (it rotates). */
  #tokenQueue: Promise<unknown> = Promise.resolve();
  /** Store writes, in the order the changes happened. */
  #storeQueue: Promise<unknown> = Promise.resolve();
  /** Single-flight refresh per resource. */
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(config: IOidcSessionConfig, deps: IOidcSessionDeps) {
    if (!config.sites.length) {
      throw new Error('an OIDC session needs at least one site');
    }
    this.#config = {
      ...config,
      sites: config.sites.map(s => ({ ...s })),
      scopes: [...config.scopes],
      resources: [...config.resources]
    };
    this.loginKey = config.loginKey;
    this.issuer = config.issuer;
    this.clientId = config.clientId;
    this.#store = deps.store;
    this.#clock = deps.clock ?? systemClock;
    this.#logger = deps.logger;
    this.#callbackUrl = deps.callbackUrl;
    this.#timing = { ...DEFAULT_TIMING, ...deps.timing };
    this.#listeners = new StateListeners(deps.logger);
    this.#failureContext = {
      issuer: this.issuer,
      label: this.#label(),
      redact: text => this.#redact(text)
    };
    try {
      const checked = checkIssuerUrl(config.issuer);
      this.#connection = new IssuerConnection(
        deps.connector,
        {
          issuer: checked.url,
          clientId: this.clientId,
          allowInsecureRequests: checked.allowInsecureRequests
        },
        this.#failureContext
      );
    } catch (err) {
      if (!(err instanceof AuthConfigError)) {
        throw err;
      }
      // Degrade only the sites of this session: they show the reason.
      this.#configError = err;
      this.#state = { status: 'login-needed', reason: err.message };
    }
  }

  get state(): LoginState {
    return { ...this.#state };
  }

  /** The name of the logged-in user, if logged in. */
  get user(): string | undefined {
    return this.#state.status === 'logged-in' ? this.#state.user : undefined;
  }

  onChange(listener: (state: LoginState) => void): () => void {
    return this.#listeners.add(listener);
  }

  settled(): Promise<LoginState> {
    if (this.#state.status !== 'pending' && !this.#starting) {
      return Promise.resolve(this.state);
    }
    return new Promise(resolve => this.#settledWaiters.push(resolve));
  }

  toJSON(): ISessionSummary {
    return { loginKey: this.loginKey, kind: this.kind, state: this.state };
  }

  // ---------------------------------------------------------------- login

  login(options: ILoginOptions = {}): Promise<LoginState> {
    if (this.#configError) {
      return Promise.reject(this.#configError);
    }
    if (this.#starting) {
      return this.#starting;
    }
    const state = this.#state;
    if (state.status === 'logged-in') {
      return Promise.resolve(this.state);
    }
    const flow = options.flow ?? this.#config.defaultFlow;
    if (state.status === 'pending' && state.flow === flow) {
      return Promise.resolve(this.state);
    }
    if (state.status === 'pending') {
      // Switching flows: the other pending login is abandoned.
      this.#abandonPending();
      this.#setState({ status: 'logged-out' });
    }
    const starting = this.#startLogin(flow).finally(() => {
      if (this.#starting === starting) {
        this.#starting = undefined;
      }
      if (this.#state.status !== 'pending') {
        this.#resolveSettled();
      }
    });
    this.#starting = starting;
    return starting;
  }

  cancelLogin(): void {
    if (!this.#pending && !this.#starting) {
      return;
    }
    this.#abandonPending();
    this.#logger?.info(`login to ${this.#label()} cancelled`);
    this.#setState({ status: 'logged-out' });
  }

  /** Does this URL answer this session's pending code flow login? */
  matchesCallback(callbackUrl: URL): boolean {
    const pending = this.#pending;
    return pending?.flow === 'code' && isCallbackOf(pending, callbackUrl);
  }

  /**
   * Finish a code flow login with the URL the issuer redirected the browser
   * to. Only its query matters: the token request is made with the
   * callback URL the login started with (the public one), whatever
   * host/path `callbackUrl` has. Rejects with `CallbackError` for an
   * unknown, used or expired `state`, `LoginFailedError` if the issuer
   * refused, `IssuerUnreachableError` on network failure.
   */
  async completeCodeLogin(callbackUrl: URL): Promise<LoginState> {
    const pending = this.#pending;
    if (pending?.flow !== 'code' || !isCallbackOf(pending, callbackUrl)) {
      throw unknownCallbackError();
    }
    // The state is single use, whatever happens next.
    this.#pending = undefined;
    pending.abort.abort();
    const check = checkCallback(pending, callbackUrl, {
      now: this.#clock.now(),
      codeLoginTimeout: this.#timing.codeLoginTimeout,
      label: this.#label(),
      redact: text => this.#redact(text)
    });
    if (check.status !== 'exchange') {
      this.#setState({ status: 'login-needed', reason: check.reason });
      throw check.error;
    }
    let tokens: ITokenResponse;
    try {
      const client = await this.#connect('finish the login');
      tokens = await client.exchangeCode(
        check.answerUrl,
        { expectedState: pending.state, pkceCodeVerifier: pending.verifier },
        { resource: this.#primaryResource() }
      );
    } catch (err) {
      const failure = loginFailure(
        err,
        'finish the login',
        this.#failureContext
      );
      if (pending.attempt === this.#attempt) {
        this.#setState({ status: 'login-needed', reason: failure.reason });
      }
      throw failure.error;
    }
    await this.#acceptLogin(pending.attempt, tokens);
    return this.state;
  }

  async #startLogin(flow: 'device' | 'code'): Promise<LoginState> {
    const attempt = ++this.#attempt;
    let client: IOidcClient;
    try {
      client = await this.#connect('start a login');
    } catch (err) {
      throw loginFailure(err, 'start a login', this.#failureContext).error;
    }
    if (attempt !== this.#attempt) {
      return this.state; // cancelled or logged out meanwhile
    }
    const scope = this.#config.scopes.join(' ');
    const resource = this.#config.resources.length
      ? this.#config.resources
      : undefined;
    if (flow === 'device') {
      let device: IDeviceAuthorization;
      try {
        device = await startDeviceLogin(
          client,
          { scope, resource },
          this.#label()
        );
      } catch (err) {
        throw loginFailure(err, 'start a login', this.#failureContext).error;
      }
      if (attempt !== this.#attempt) {
        return this.state;
      }
      const pending: IPendingDevice = {
        flow: 'device',
        attempt,
        abort: new AbortController(),
        expiresAt: deviceCodeExpiry(device, this.#clock.now())
      };
      this.#pending = pending;
      this.#setState(devicePendingState(device, pending.expiresAt));
      this.#logger?.info(`login to ${this.#label()} started (device flow)`);
      void this.#pollDevice(pending, client, device);
      return this.state;
    }

    const redirectUri = this.#callbackUrl;
    if (!redirectUri) {
      throw new AuthConfigError(
        `logging in to ${this.#label()} in the browser needs the sidecar's ` +
          'public callback URL; use the device flow or configure the callback'
      );
    }
    const { state, verifier, authorizationUrl } = await prepareCodeLogin(
      client,
      { redirectUri, scope, resource }
    );
    if (attempt !== this.#attempt) {
      return this.state;
    }
    const pending: IPendingCode = {
      flow: 'code',
      attempt,
      abort: new AbortController(),
      expiresAt: this.#clock.now() + this.#timing.codeLoginTimeout,
      state,
      verifier,
      redirectUri
    };
    this.#pending = pending;
    this.#setState({
      status: 'pending',
      flow: 'code',
      authorizationUrl: authorizationUrl.href,
      expiresAt: pending.expiresAt
    });
    this.#logger?.info(`login to ${this.#label()} started (browser)`);
    void this.#expireCodeLogin(pending);
    return this.state;
  }

  async #pollDevice(
    pending: IPendingDevice,
    client: IOidcClient,
    device: IDeviceAuthorization
  ): Promise<void> {
    const outcome = await pollDeviceAuthorization({
      client,
      device,
      expiresAt: pending.expiresAt,
      resource: this.#primaryResource(),
      clock: this.#clock,
      signal: pending.abort.signal,
      timing: this.#timing,
      isCurrent: () => this.#pending === pending,
      label: this.#label(),
      redact: text => this.#redact(text),
      logger: this.#logger
    });
    if (outcome.status === 'refused' || outcome.status === 'expired') {
      this.#endPending(pending, outcome.reason);
      return;
    }
    if (outcome.status === 'abandoned') {
      if (outcome.lateTokens) {
        void this.#revokeQuietly(outcome.lateTokens);
      }
      return;
    }
    if (this.#pending !== pending) {
      // Abandoned since the last answer came: do not keep them.
      void this.#revokeQuietly(outcome.tokens);
      return;
    }
    this.#pending = undefined;
    pending.abort.abort();
    await this.#acceptLogin(pending.attempt, outcome.tokens);
  }

  async #expireCodeLogin(pending: IPendingCode): Promise<void> {
    const { expiresAt, abort } = pending;
    if (
      (await codeLoginExpired(this.#clock, expiresAt, abort.signal)) &&
      this.#pending === pending
    ) {
      this.#endPending(
        pending,
        codeExpiredReason(this.#timing.codeLoginTimeout)
      );
    }
  }

  /** A pending login ended without tokens: `login-needed` with the reason. */
  #endPending(pending: Pending, reason: string): void {
    if (this.#pending !== pending) {
      return;
    }
    this.#pending = undefined;
    pending.abort.abort();
    this.#logger?.info(`login to ${this.#label()} ended: ${reason}`);
    this.#setState({ status: 'login-needed', reason });
  }

  #abandonPending(): void {
    this.#attempt++;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.abort.abort();
  }

  /** New tokens from a login: replace whatever the session had. */
  async #acceptLogin(attempt: number, tokens: ITokenResponse): Promise<void> {
    if (attempt !== this.#attempt || this.#disposed) {
      void this.#revokeQuietly(tokens);
      return;
    }
    const generation = ++this.#generation;
    this.#access.clear();
    this.#restorable = false;
    this.#user = undefined;
    this.#sessionExpiresAt = undefined;
    const stored = await this.#keepRefreshToken(
      generation,
      tokens.refreshToken
    );
    if (!stored) {
      void this.#revokeQuietly(tokens);
      return;
    }
    this.#useAccessToken(this.#primaryKey(), tokens);
    this.#logger?.info(`logged in to ${this.#label()} as ${this.#user}`);
    if (!tokens.refreshToken) {
      this.#logger?.warn(
        `the login server of ${this.#label()} issued no refresh token ` +
          '(is "offline_access" among the scopes?): the login ends when the ' +
          'access token expires'
      );
    }
  }

  // ---------------------------------------------------------------- tokens

  async authorizationHeader(
    options: IAuthorizationOptions = {}
  ): Promise<string> {
    if (this.#configError) {
      throw this.#configError;
    }
    const usable =
      this.#state.status === 'logged-in' ||
      (this.#state.status === 'login-needed' &&
        this.#restorable &&
        this.#refreshToken !== undefined);
    if (!usable) {
      throw this.#loginNeededError(options.site);
    }
    const key = options.resource ?? this.#primaryKey();
    const current = this.#access.get(key);
    if (
      current &&
      !options.forceRefresh &&
      !refreshDue(current, this.#clock.now(), this.#timing)
    ) {
      return `Bearer ${current.token}`;
    }
    return `Bearer ${await this.#refreshOnce(key, options.site)}`;
  }

  /** Single flight: concurrent callers for one resource share one refresh. */
  #refreshOnce(key: string, site?: ISiteRef): Promise<string> {
    let flight = this.#inflight.get(key);
    if (!flight) {
      const started: Promise<string> = this.#serialized(() =>
        this.#refresh(key, site)
      ).finally(() => {
        if (this.#inflight.get(key) === started) {
          this.#inflight.delete(key);
        }
      });
      flight = started;
      this.#inflight.set(key, flight);
    }
    return flight;
  }

  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tokenQueue.then(task, task);
    this.#tokenQueue = run.catch(() => undefined);
    return run;
  }

  async #refresh(key: string, site?: ISiteRef): Promise<string> {
    const generation = this.#generation;
    const refreshToken = this.#refreshToken;
    if (refreshToken === undefined) {
      if (this.#state.status === 'logged-in') {
        await this.#dropLogin(
          'the access token expired and the login server gave no refresh token'
        );
      }
      throw this.#loginNeededError(site);
    }
    let tokens: ITokenResponse;
    try {
      const client = await this.#connect('renew the login');
      tokens = await client.refresh(refreshToken, {
        resource: key || undefined
      });
    } catch (err) {
      if (generation !== this.#generation) {
        return this.#afterTokenChange(key, site);
      }
      if (err instanceof OidcProtocolError) {
        await this.#dropLogin(
          this.#redact(
            `the login server refused to renew the login (${err.message})`
          )
        );
        throw this.#loginNeededError(site, err);
      }
      if (err instanceof AuthConfigError || err instanceof LoginNeededError) {
        throw err;
      }
      // Network trouble: stay logged in; hand out the current token while
      // it is still good, else fail this call only.
      const detail = this.#redact(
        err instanceof IssuerUnreachableError ? err.detail : errorMessage(err)
      );
      const current = this.#access.get(key);
      if (
        current &&
        current.expiresAt - this.#clock.now() >= this.#timing.minValidityOnError
      ) {
        this.#logger?.warn(
          `could not renew the login to ${this.#label()} early (${detail}); ` +
            'using the current access token'
        );
        return current.token;
      }
      throw issuerUnreachable(this.#failureContext, 'renew the login', detail, {
        keptLogin: this.#state.status === 'logged-in',
        cause: err
      });
    }
    if (generation !== this.#generation) {
      // Logged out or logged in anew meanwhile: these tokens are orphans.
      void this.#revokeQuietly(tokens, refreshToken);
      return this.#afterTokenChange(key, site);
    }
    // Rotation: the new refresh token is kept (and stored) before the new
    // access token is used; the old one is dead from now on.
    const stored = await this.#keepRefreshToken(
      generation,
      tokens.refreshToken ?? refreshToken
    );
    if (!stored) {
      return this.#afterTokenChange(key, site);
    }
    const access = this.#useAccessToken(key, tokens);
    const seconds = Math.round((access.expiresAt - this.#clock.now()) / 1000);
    this.#logger?.info(
      `renewed the login to ${this.#label()} (valid ${seconds} s)`
    );
    return access.token;
  }

  /** A refresh lost a race with logout or a new login. */
  async #afterTokenChange(key: string, site?: ISiteRef): Promise<string> {
    if (this.#state.status === 'logged-in') {
      const current = this.#access.get(key);
      return current && !refreshDue(current, this.#clock.now(), this.#timing)
        ? current.token
        : this.#refresh(key, site);
    }
    throw this.#loginNeededError(site);
  }

  /** Keep a (new) refresh token in memory, then in the store. */
  async #keepRefreshToken(
    generation: number,
    refreshToken: string | undefined
  ): Promise<boolean> {
    if (generation !== this.#generation) {
      return false;
    }
    this.#refreshToken = refreshToken;
    if (this.#config.persistRefreshToken) {
      await this.#writeStore(refreshToken);
    }
    return generation === this.#generation;
  }

  /** Take a token answer's access token (and user, expiries) for `key`. */
  #useAccessToken(key: string, tokens: ITokenResponse): IAccessToken {
    const facts = readTokenAnswer(
      tokens,
      this.#clock.now(),
      { user: this.#user, sessionExpiresAt: this.#sessionExpiresAt },
      this.#timing.defaultAccessTtl
    );
    const access: IAccessToken = {
      token: tokens.accessToken,
      issuedAt: facts.issuedAt,
      expiresAt: facts.expiresAt
    };
    this.#access.set(key, access);
    this.#user = facts.user;
    this.#sessionExpiresAt = facts.sessionExpiresAt;
    this.#restorable = false;
    const primary = this.#access.get(this.#primaryKey()) ?? access;
    this.#setState({
      status: 'logged-in',
      user: this.#user,
      accessExpiresAt: primary.expiresAt,
      ...(this.#sessionExpiresAt !== undefined
        ? { sessionExpiresAt: this.#sessionExpiresAt }
        : {})
    });
    return access;
  }

  /** The login is over (refused): forget the tokens, say why. */
  async #dropLogin(reason: string): Promise<void> {
    this.#generation++;
    this.#refreshToken = undefined;
    this.#access.clear();
    this.#restorable = false;
    this.#logger?.warn(`login to ${this.#label()} ended: ${reason}`);
    this.#setState({ status: 'login-needed', reason });
    await this.#writeStore(undefined);
  }

  // ---------------------------------------------------------------- logout

  async logout(): Promise<ILogoutResult> {
    if (this.#configError) {
      return { warnings: [] };
    }
    this.#abandonPending();
    this.#generation++;
    const refreshToken = this.#refreshToken;
    const accessTokens = [...this.#access.values()].map(a => a.token);
    this.#refreshToken = undefined;
    this.#access.clear();
    this.#restorable = false;
    this.#user = undefined;
    this.#sessionExpiresAt = undefined;
    this.#setState({ status: 'logged-out' });
    this.#logger?.info(`logged out of ${this.#label()}`);

    const warnings: string[] = [];
    const storeError = await this.#writeStore(undefined);
    if (storeError) {
      warnings.push(storeError);
    }
    warnings.push(
      ...(await revokeLogin(
        this.#connect,
        { refreshToken, accessTokens },
        this.#label()
      ))
    );
    for (const warning of warnings) {
      this.#logger?.warn(`logout of ${this.#label()}: ${warning}`);
    }
    return { warnings };
  }

  // ---------------------------------------------------------------- restore

  async restore(): Promise<LoginState> {
    if (
      this.#configError ||
      !this.#store ||
      this.#state.status !== 'logged-out'
    ) {
      return this.state;
    }
    let stored: string | undefined;
    try {
      stored = await this.#store.load(this.loginKey);
    } catch (err) {
      this.#logger?.warn(
        `could not read the saved login of ${this.#label()}: ${errorMessage(err)}`
      );
      return this.state;
    }
    if (stored === undefined) {
      return this.state;
    }
    if (!this.#config.persistRefreshToken) {
      // Saved while persisting was allowed; it is not any more.
      await this.#writeStore(undefined);
      this.#logger?.info(
        `dropped the saved login of ${this.#label()}: persist_refresh_token is off`
      );
      return this.state;
    }
    if (
      this.#state.status !== 'logged-out' ||
      this.#refreshToken !== undefined
    ) {
      return this.state; // a login started meanwhile
    }
    this.#generation++;
    this.#refreshToken = stored;
    this.#restorable = true;
    try {
      await this.#refreshOnce(this.#primaryKey());
      this.#logger?.info(
        `restored the saved login to ${this.#label()} as ${this.#user}`
      );
    } catch (err) {
      if (err instanceof IssuerUnreachableError && this.#restorable) {
        this.#setState({
          status: 'login-needed',
          reason:
            `could not reach the login server to restore the saved login ` +
            `(${this.#redact(err.detail)}); it is tried again when the site is used`
        });
      } else if (this.#state.status === 'logged-out') {
        this.#setState({
          status: 'login-needed',
          reason: this.#redact(
            `the saved login could not be restored (${errorMessage(err)})`
          )
        });
      }
    }
    return this.state;
  }

  dispose(): void {
    this.#disposed = true;
    this.#abandonPending();
    this.#resolveSettled();
  }

  // ---------------------------------------------------------------- helpers

  #setState(state: LoginState): void {
    const before = JSON.stringify(this.#state);
    this.#state = state;
    if (state.status !== 'pending') {
      this.#resolveSettled();
    }
    if (JSON.stringify(state) !== before) {
      this.#listeners.emit(state);
    }
  }

  #resolveSettled(): void {
    if (this.#state.status === 'pending' && !this.#disposed) {
      return;
    }
    const waiters = this.#settledWaiters;
    this.#settledWaiters = [];
    for (const resolve of waiters) {
      resolve(this.state);
    }
  }

  /** Serialised store write; returns a warning if it failed. */
  #writeStore(token: string | undefined): Promise<string | undefined> {
    const store = this.#store;
    if (!store) {
      return Promise.resolve(undefined);
    }
    const write = async (): Promise<string | undefined> => {
      try {
        await store.save(this.loginKey, token);
        return undefined;
      } catch (err) {
        const message = redactTokens(
          `could not ${token === undefined ? 'delete' : 'save'} the saved login of ` +
            `${this.#label()}: ${errorMessage(err)}`,
          [token]
        );
        this.#logger?.warn(message);
        if (token !== undefined) {
          // Never leave an older (now dead) token behind.
          await store.save(this.loginKey, undefined).catch(() => undefined);
        }
        return message;
      }
    };
    const run = this.#storeQueue.then(write, write);
    this.#storeQueue = run;
    return run;
  }

  #loginNeededError(site?: ISiteRef, cause?: unknown): Error {
    if (this.#configError) {
      return this.#configError;
    }
    const state = this.#state;
    let reason: string | undefined;
    if (state.status === 'login-needed') {
      reason = state.reason;
    } else if (state.status === 'pending') {
      reason = 'a login is in progress: finish it in the browser';
    }
    return new LoginNeededError({
      loginKey: this.loginKey,
      label: site?.label ?? this.#label(),
      site: site?.name ?? this.#config.sites[0].name,
      issuer: this.issuer,
      reason,
      cause
    });
  }

  #primaryResource(): string | undefined {
    return this.#config.resources[0];
  }

  #primaryKey(): string {
    return this.#primaryResource() ?? '';
  }

  #label(): string {
    return this.#config.sites.map(s => s.label).join(', ');
  }

  #redact(text: string): string {
    return redactTokens(text, [
      this.#refreshToken,
      ...[...this.#access.values()].map(a => a.token)
    ]);
  }

  /** Best effort: revoke the refresh token of tokens nobody will use. */
  #revokeQuietly(tokens: ITokenResponse, except?: string): Promise<void> {
    return revokeQuietly(this.#connect, tokens.refreshToken, except);
  }
}
