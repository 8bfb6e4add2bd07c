/**
 * The login attempts of one OIDC session: at most one login is pending at
 * a time (device or code flow). Each attempt has a number; a newer attempt,
 * a cancel or a logout makes the older ones stale, and whatever a stale
 * attempt still gets is dropped. The session owns the state: it is told
 * when a pending login starts or ends, and is handed the tokens.
 */
import type { LoginState } from '../../protocol';

import type { IClock } from './clock';
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
import { AuthConfigError } from './errors';
import type {
  IDeviceAuthorization,
  IOidcClient,
  IResourceParams,
  ITokenResponse
} from './issuer-client';
import type { ConnectIssuer } from './issuer-connection';
import {
  codeExpiredReason,
  loginFailure,
  type IFailureContext
} from './login-failures';
import type { IAuthLogger } from './session-types';
import type { ISessionTiming } from './token-policy';

/** What the attempts need of their session. */
export interface ILoginAttemptsHost {
  /** A login became pending, or a pending login ended without tokens. */
  setState(state: LoginState): void;
  /** An attempt got tokens; the session takes them if it is still current. */
  acceptLogin(attempt: number, tokens: ITokenResponse): Promise<void>;
  /** Tokens of an abandoned attempt: nobody will use them. */
  revokeUnused(tokens: ITokenResponse): void;
  connect: ConnectIssuer;
}

export interface ILoginAttemptsOptions {
  host: ILoginAttemptsHost;
  /** Requested at login (space separated). */
  scope: string;
  /** RFC 8707 resources of the sites; the first is the default. */
  resources: string[];
  /** The sidecar's public OAuth callback URL (code flow only). */
  callbackUrl?: string;
  /** Code flow: ask with `prompt=none` first (off for issuers that refuse it). */
  silentFirst: boolean;
  clock: IClock;
  timing: ISessionTiming;
  logger?: IAuthLogger;
  failure: IFailureContext;
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

export class LoginAttempts {
  readonly #options: ILoginAttemptsOptions;
  readonly #host: ILoginAttemptsHost;
  readonly #label: string;
  /** Bumped when a login starts, is cancelled or the session logs out. */
  #attempt = 0;
  /** Holds the code flow's PKCE verifier: private fields only. */
  #pending?: Pending;

  constructor(options: ILoginAttemptsOptions) {
    this.#options = options;
    this.#host = options.host;
    this.#label = options.failure.label;
  }

  /** Is a login waiting for the user (not just starting)? */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  isCurrent(attempt: number): boolean {
    return attempt === this.#attempt;
  }

  /** Make every attempt so far stale and stop the pending one. */
  abandon(): void {
    this.#attempt++;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.abort.abort();
  }

  /**
   * Start a new attempt; it ends pending, or not at all if it went stale.
   * A code flow login first asks silently (`prompt=none`): a browser signed
   * in at the issuer, e.g. through the hub, needs no page at all.
   */
  async start(flow: 'device' | 'code'): Promise<void> {
    const attempt = ++this.#attempt;
    const client = await this.#connect(attempt);
    if (!client) {
      return; // cancelled or logged out meanwhile
    }
    await (flow === 'device'
      ? this.#startDevice(attempt, client, this.#loginParams())
      : this.#startCode(attempt, client, {
          ...this.#loginParams(),
          silent: this.#options.silentFirst
        }));
  }

  /**
   * A silent login the issuer could not answer without its page: a new
   * attempt at that page. If it cannot start, the login ends (never left
   * pending at a page that will not answer).
   */
  async #continueAtThePage(): Promise<URL | undefined> {
    const attempt = ++this.#attempt;
    try {
      const client = await this.#connect(attempt);
      return client
        ? await this.#startCode(attempt, client, {
            ...this.#loginParams(),
            silent: false
          })
        : undefined;
    } catch (err) {
      const { error, reason } = loginFailure(
        err,
        'show the login page',
        this.#options.failure
      );
      if (attempt === this.#attempt) {
        this.#host.setState({ status: 'login-needed', reason });
      }
      throw error;
    }
  }

  async #connect(attempt: number): Promise<IOidcClient | undefined> {
    let client: IOidcClient;
    try {
      client = await this.#host.connect('start a login');
    } catch (err) {
      throw loginFailure(err, 'start a login', this.#options.failure).error;
    }
    return attempt === this.#attempt ? client : undefined;
  }

  #loginParams(): { scope: string } & IResourceParams {
    const { resources } = this.#options;
    return {
      scope: this.#options.scope,
      resource: resources.length ? resources : undefined
    };
  }

  /** Does this URL answer the pending code flow login? */
  matchesCallback(callbackUrl: URL): boolean {
    const pending = this.#pending;
    return pending?.flow === 'code' && isCallbackOf(pending, callbackUrl);
  }

  /**
   * Finish the pending code flow login (see `OidcSession.completeCodeLogin`).
   * Returns the issuer's login page when a silent login needs it: the login
   * goes on there, in the same popup, as a new attempt.
   */
  async complete(callbackUrl: URL): Promise<URL | undefined> {
    const pending = this.#pending;
    if (pending?.flow !== 'code' || !isCallbackOf(pending, callbackUrl)) {
      throw unknownCallbackError();
    }
    // The state is single use, whatever happens next.
    this.#pending = undefined;
    pending.abort.abort();
    const { clock, timing, failure } = this.#options;
    const check = checkCallback(pending, callbackUrl, {
      now: clock.now(),
      codeLoginTimeout: timing.codeLoginTimeout,
      label: failure.label,
      redact: failure.redact
    });
    if (check.status === 'needs-page') {
      return this.#continueAtThePage();
    }
    if (check.status !== 'exchange') {
      this.#host.setState({ status: 'login-needed', reason: check.reason });
      throw check.error;
    }
    let tokens: ITokenResponse;
    try {
      const client = await this.#host.connect('finish the login');
      tokens = await client.exchangeCode(
        check.answerUrl,
        { expectedState: pending.state, pkceCodeVerifier: pending.verifier },
        { resource: this.#options.resources[0] }
      );
    } catch (err) {
      const { error, reason } = loginFailure(err, 'finish the login', failure);
      if (pending.attempt === this.#attempt) {
        this.#host.setState({ status: 'login-needed', reason });
      }
      throw error;
    }
    await this.#host.acceptLogin(pending.attempt, tokens);
    return undefined;
  }

  async #startDevice(
    attempt: number,
    client: IOidcClient,
    params: { scope: string } & IResourceParams
  ): Promise<void> {
    let device: IDeviceAuthorization;
    try {
      device = await startDeviceLogin(client, params, this.#label);
    } catch (err) {
      throw loginFailure(err, 'start a login', this.#options.failure).error;
    }
    if (attempt !== this.#attempt) {
      return;
    }
    const pending: IPendingDevice = {
      flow: 'device',
      attempt,
      abort: new AbortController(),
      expiresAt: deviceCodeExpiry(device, this.#options.clock.now())
    };
    this.#pending = pending;
    this.#host.setState(devicePendingState(device, pending.expiresAt));
    this.#options.logger?.info(`login to ${this.#label} started (device flow)`);
    void this.#pollDevice(pending, client, device);
  }

  /** Returns the URL to open, unless the attempt went stale meanwhile. */
  async #startCode(
    attempt: number,
    client: IOidcClient,
    params: { scope: string; silent: boolean } & IResourceParams
  ): Promise<URL | undefined> {
    const redirectUri = this.#options.callbackUrl;
    if (!redirectUri) {
      throw new AuthConfigError(
        `logging in to ${this.#label} in the browser needs the sidecar's ` +
          'public callback URL; use the device flow or configure the callback'
      );
    }
    const { silent, ...rest } = params;
    const { state, verifier, authorizationUrl } = await prepareCodeLogin(
      client,
      { redirectUri, ...rest, ...(silent ? { prompt: 'none' as const } : {}) }
    );
    if (attempt !== this.#attempt) {
      return undefined;
    }
    const { clock, timing } = this.#options;
    const pending: IPendingCode = {
      flow: 'code',
      attempt,
      abort: new AbortController(),
      expiresAt: clock.now() + timing.codeLoginTimeout,
      state,
      verifier,
      redirectUri,
      silent
    };
    this.#pending = pending;
    this.#host.setState({
      status: 'pending',
      flow: 'code',
      authorizationUrl: authorizationUrl.href,
      expiresAt: pending.expiresAt
    });
    this.#options.logger?.info(
      `login to ${this.#label} started (browser${silent ? ', silently first' : ''})`
    );
    void this.#expireCode(pending);
    return authorizationUrl;
  }

  async #pollDevice(
    pending: IPendingDevice,
    client: IOidcClient,
    device: IDeviceAuthorization
  ): Promise<void> {
    const { clock, timing, logger, failure } = this.#options;
    const outcome = await pollDeviceAuthorization({
      client,
      device,
      expiresAt: pending.expiresAt,
      resource: this.#options.resources[0],
      clock,
      signal: pending.abort.signal,
      timing,
      isCurrent: () => this.#pending === pending,
      label: this.#label,
      redact: failure.redact,
      logger
    });
    if (outcome.status === 'refused' || outcome.status === 'expired') {
      this.#end(pending, outcome.reason);
      return;
    }
    if (outcome.status === 'abandoned') {
      if (outcome.lateTokens) {
        this.#host.revokeUnused(outcome.lateTokens);
      }
      return;
    }
    if (this.#pending !== pending) {
      // Abandoned since the last answer came: do not keep them.
      this.#host.revokeUnused(outcome.tokens);
      return;
    }
    this.#pending = undefined;
    pending.abort.abort();
    await this.#host.acceptLogin(pending.attempt, outcome.tokens);
  }

  async #expireCode(pending: IPendingCode): Promise<void> {
    const { clock, timing } = this.#options;
    const { expiresAt, abort } = pending;
    if (
      (await codeLoginExpired(clock, expiresAt, abort.signal)) &&
      this.#pending === pending
    ) {
      this.#end(pending, codeExpiredReason(timing.codeLoginTimeout));
    }
  }

  /** A pending login ended without tokens: `login-needed` with the reason. */
  #end(pending: Pending, reason: string): void {
    if (this.#pending !== pending) {
      return;
    }
    this.#pending = undefined;
    pending.abort.abort();
    this.#options.logger?.info(`login to ${this.#label} ended: ${reason}`);
    this.#host.setState({ status: 'login-needed', reason });
  }
}
