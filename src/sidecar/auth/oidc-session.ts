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
 * This class owns the state, its listeners and the steps between the two
 * halves of a login: `LoginAttempts` runs the pending logins
 * (device-flow.ts, code-flow.ts), `SessionTokens` keeps the tokens of the
 * login and renews them (token-policy.ts, revocation.ts). Both change the
 * state only through the callbacks this class hands them.
 *
 * Tokens are kept in private fields (of `SessionTokens`, itself in a
 * private field): `JSON.stringify`, `util.inspect` and error messages never
 * show them; they leave only through `authorizationHeader()`.
 */
import type { LoginState } from '../../protocol';

import { systemClock, type IClock } from './clock';
import {
  AuthConfigError,
  IssuerUnreachableError,
  LoginNeededError
} from './errors';
import type { IOidcConnector, ITokenResponse } from './issuer-client';
import { IssuerConnection, type ConnectIssuer } from './issuer-connection';
import { checkIssuerUrl } from './issuer-url';
import { LoginAttempts } from './login-attempts';
import { errorMessage, type IFailureContext } from './login-failures';
import type { IRefreshTokenStore } from './refresh-store';
import { revokeQuietly } from './revocation';
import { SessionTokens } from './session-tokens';
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
import { DEFAULT_TIMING, type ISessionTiming } from './token-policy';

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
  /** Code flow: ask with `prompt=none` first (registry `silent_first`). */
  silentFirst: boolean;
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

export class OidcSession implements ISession {
  readonly kind = 'oidc';
  readonly loginKey: string;
  readonly issuer: string;
  readonly clientId: string;

  readonly #config: IOidcSessionConfig;
  readonly #logger?: IAuthLogger;
  readonly #listeners: StateListeners;
  /** The labels of the sites sharing this login, for messages. */
  readonly #label: string;
  /** Absent when the issuer URL is unusable (then `#configError` says why). */
  readonly #connection?: IssuerConnection;
  readonly #configError?: AuthConfigError;
  readonly #connect: ConnectIssuer = action =>
    this.#connection?.connect(action) ?? Promise.reject(this.#configError);
  readonly #attempts: LoginAttempts;
  /** Holds the tokens, in its own private fields. */
  readonly #tokens: SessionTokens;

  #state: LoginState = { status: 'logged-out' };
  #settledWaiters: ((state: LoginState) => void)[] = [];
  #starting?: Promise<LoginState>;
  #disposed = false;

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
    this.#logger = deps.logger;
    this.#listeners = new StateListeners(deps.logger);
    this.#label = this.#config.sites.map(s => s.label).join(', ');
    const clock = deps.clock ?? systemClock;
    const timing = { ...DEFAULT_TIMING, ...deps.timing };
    const failure: IFailureContext = {
      issuer: this.issuer,
      label: this.#label,
      redact: text => this.#tokens.redact(text)
    };
    const common = { clock, timing, logger: deps.logger, failure };
    this.#attempts = new LoginAttempts({
      ...common,
      host: {
        setState: state => this.#setState(state),
        acceptLogin: (attempt, tokens) => this.#acceptLogin(attempt, tokens),
        revokeUnused: tokens => this.#revokeUnused(tokens),
        connect: this.#connect
      },
      scope: this.#config.scopes.join(' '),
      resources: this.#config.resources,
      silentFirst: this.#config.silentFirst,
      callbackUrl: deps.callbackUrl
    });
    this.#tokens = new SessionTokens({
      ...common,
      host: {
        isLoggedIn: () => this.#state.status === 'logged-in',
        loggedIn: state => this.#setState(state),
        loginEnded: reason =>
          this.#setState({ status: 'login-needed', reason }),
        loginNeededError: (site, cause) => this.#loginNeededError(site, cause)
      },
      loginKey: this.loginKey,
      store: deps.store,
      persistRefreshToken: this.#config.persistRefreshToken,
      primaryKey: this.#primaryKey(),
      connect: this.#connect
    });
    try {
      const checked = checkIssuerUrl(config.issuer);
      this.#connection = new IssuerConnection(
        deps.connector,
        {
          issuer: checked.url,
          clientId: this.clientId,
          allowInsecureRequests: checked.allowInsecureRequests
        },
        failure
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
      this.#attempts.abandon();
      this.#setState({ status: 'logged-out' });
    }
    const starting = this.#attempts
      .start(flow)
      .then(() => this.state)
      .finally(() => {
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
    if (!this.#attempts.pending && !this.#starting) {
      return;
    }
    this.#attempts.abandon();
    this.#logger?.info(`login to ${this.#label} cancelled`);
    this.#setState({ status: 'logged-out' });
  }

  /** Does this URL answer this session's pending code flow login? */
  matchesCallback(callbackUrl: URL): boolean {
    return this.#attempts.matchesCallback(callbackUrl);
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
    await this.#attempts.complete(callbackUrl);
    return this.state;
  }

  /** Tokens from a login attempt: taken only if the attempt is current. */
  async #acceptLogin(attempt: number, tokens: ITokenResponse): Promise<void> {
    if (!this.#attempts.isCurrent(attempt) || this.#disposed) {
      this.#revokeUnused(tokens);
      return;
    }
    await this.#tokens.acceptLogin(tokens);
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
        this.#tokens.restorable &&
        this.#tokens.hasRefreshToken);
    if (!usable) {
      throw this.#loginNeededError(options.site);
    }
    const key = options.resource ?? this.#primaryKey();
    return `Bearer ${await this.#tokens.accessToken(key, options)}`;
  }

  // ---------------------------------------------------------------- logout

  async logout(): Promise<ILogoutResult> {
    if (this.#configError) {
      return { warnings: [] };
    }
    this.#attempts.abandon();
    const finishLogout = this.#tokens.forget();
    this.#setState({ status: 'logged-out' });
    this.#logger?.info(`logged out of ${this.#label}`);
    const warnings = await finishLogout();
    for (const warning of warnings) {
      this.#logger?.warn(`logout of ${this.#label}: ${warning}`);
    }
    return { warnings };
  }

  // ---------------------------------------------------------------- restore

  async restore(): Promise<LoginState> {
    if (this.#configError || this.#state.status !== 'logged-out') {
      return this.state;
    }
    const stored = await this.#tokens.loadSaved();
    if (
      stored === undefined ||
      this.#state.status !== 'logged-out' ||
      this.#tokens.hasRefreshToken
    ) {
      return this.state; // nothing saved, or a login started meanwhile
    }
    try {
      await this.#tokens.adoptSaved(stored);
    } catch (err) {
      const redact = (text: string) => this.#tokens.redact(text);
      if (err instanceof IssuerUnreachableError && this.#tokens.restorable) {
        this.#setState({
          status: 'login-needed',
          reason:
            `could not reach the login server to restore the saved login ` +
            `(${redact(err.detail)}); it is tried again when the site is used`
        });
      } else if (this.#state.status === 'logged-out') {
        this.#setState({
          status: 'login-needed',
          reason: redact(
            `the saved login could not be restored (${errorMessage(err)})`
          )
        });
      }
    }
    return this.state;
  }

  dispose(): void {
    this.#disposed = true;
    this.#attempts.abandon();
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

  /** Best effort: revoke the refresh token of tokens nobody will use. */
  #revokeUnused(tokens: ITokenResponse): void {
    void revokeQuietly(this.#connect, tokens.refreshToken);
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
      label: site?.label ?? this.#label,
      site: site?.name ?? this.#config.sites[0].name,
      issuer: this.issuer,
      reason,
      cause
    });
  }

  /** The resource of the state's access token (`''` for none). */
  #primaryKey(): string {
    return this.#config.resources[0] ?? '';
  }
}
