/**
 * The tokens of one OIDC login and their renewal: the refresh token and
 * an access token per resource, in private fields only. Token endpoint
 * calls that use the refresh token run one at a time (it rotates), and
 * concurrent callers for one resource share one refresh. The refresh token
 * is written to the store in the order the changes happened. The session
 * owns the state: it is told when the login is in and when it is over.
 */
import type { LoginState } from '../../protocol';

import type { IClock } from './clock';
import {
  AuthConfigError,
  IssuerUnreachableError,
  LoginNeededError
} from './errors';
import { OidcProtocolError, type ITokenResponse } from './issuer-client';
import type { ConnectIssuer } from './issuer-connection';
import {
  errorMessage,
  issuerUnreachable,
  redactedCause,
  redactTokens,
  type IFailureContext
} from './login-failures';
import type { IRefreshTokenStore } from './refresh-store';
import { revokeLogin, revokeQuietly } from './revocation';
import type { IAuthLogger, ISiteRef } from './session-types';
import {
  readTokenAnswer,
  refreshDue,
  type ISessionTiming,
  type ITokenValidity
} from './token-policy';

/** What the tokens need of their session. */
export interface ISessionTokensHost {
  /** Is the session logged in? (A refresh failed on the network keeps it so.) */
  isLoggedIn(): boolean;
  /** A token answer was taken. */
  loggedIn(state: Extract<LoginState, { status: 'logged-in' }>): void;
  /** The login was refused or ran out; the tokens are gone. */
  loginEnded(reason: string): void;
  /** The error for a call that finds no usable login. */
  loginNeededError(site?: ISiteRef, cause?: unknown): Error;
}

export interface ISessionTokensOptions {
  host: ISessionTokensHost;
  loginKey: string;
  store?: IRefreshTokenStore;
  /** May the refresh token be written to the store? */
  persistRefreshToken: boolean;
  /** The resource of the session's state (`''` for none). */
  primaryKey: string;
  clock: IClock;
  timing: ISessionTiming;
  logger?: IAuthLogger;
  failure: IFailureContext;
  connect: ConnectIssuer;
}

interface IAccessToken extends ITokenValidity {
  token: string;
}

export class SessionTokens {
  readonly #options: ISessionTokensOptions;
  readonly #host: ISessionTokensHost;
  readonly #clock: IClock;
  readonly #timing: ISessionTiming;
  readonly #label: string;

  // Secrets: private fields only.
  #refreshToken?: string;
  readonly #access = new Map<string, IAccessToken>();

  #user?: string;
  #sessionExpiresAt?: number;
  /** A stored refresh token could not be tried yet (issuer unreachable). */
  #restorable = false;
  /** Bumped when the tokens are replaced or dropped: stale refreshes notice. */
  #generation = 0;
  /** Token endpoint calls that use the refresh token, one at a time (it rotates). */
  #tokenQueue: Promise<unknown> = Promise.resolve();
  /** Store writes, in the order the changes happened. */
  #storeQueue: Promise<unknown> = Promise.resolve();
  /** Single-flight refresh per resource. */
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(options: ISessionTokensOptions) {
    this.#options = options;
    this.#host = options.host;
    this.#clock = options.clock;
    this.#timing = options.timing;
    this.#label = options.failure.label;
  }

  get hasRefreshToken(): boolean {
    return this.#refreshToken !== undefined;
  }

  /** A saved refresh token waits to be tried (see `adoptSaved`). */
  get restorable(): boolean {
    return this.#restorable;
  }

  /** The access token for `key`: the current one, or a refreshed one when due. */
  async accessToken(
    key: string,
    options: { forceRefresh?: boolean; site?: ISiteRef } = {}
  ): Promise<string> {
    const current = this.#access.get(key);
    if (current && !options.forceRefresh && !this.#due(current)) {
      return current.token;
    }
    return this.#refreshOnce(key, options.site);
  }

  /** New tokens from a login: replace whatever the session had. */
  async acceptLogin(tokens: ITokenResponse): Promise<void> {
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
      this.#revokeUnused(tokens);
      return;
    }
    this.#useAccessToken(this.#options.primaryKey, tokens);
    const logger = this.#options.logger;
    logger?.info(`logged in to ${this.#label} as ${this.#user}`);
    if (!tokens.refreshToken) {
      logger?.warn(
        `the login server of ${this.#label} issued no refresh token ` +
          '(is "offline_access" among the scopes?): the login ends when the ' +
          'access token expires'
      );
    }
  }

  /**
   * Forget the tokens now (logout). Returns the rest of the logout, to run
   * once the session says it is logged out: delete the saved login, then
   * revoke the forgotten tokens; it resolves with the warnings.
   */
  forget(): () => Promise<string[]> {
    this.#generation++;
    const refreshToken = this.#refreshToken;
    const accessTokens = [...this.#access.values()].map(a => a.token);
    this.#refreshToken = undefined;
    this.#access.clear();
    this.#restorable = false;
    this.#user = undefined;
    this.#sessionExpiresAt = undefined;
    return async () => {
      const warnings: string[] = [];
      const storeError = await this.#writeStore(undefined);
      if (storeError) {
        warnings.push(storeError);
      }
      const tokens = { refreshToken, accessTokens };
      warnings.push(
        ...(await revokeLogin(this.#options.connect, tokens, this.#label))
      );
      return warnings;
    };
  }

  /** The saved refresh token, if there is one and it may be used. */
  async loadSaved(): Promise<string | undefined> {
    const { store, loginKey, logger } = this.#options;
    if (!store) {
      return undefined;
    }
    let stored: string | undefined;
    try {
      stored = await store.load(loginKey);
    } catch (err) {
      logger?.warn(
        `could not read the saved login of ${this.#label}: ${errorMessage(err)}`
      );
      return undefined;
    }
    if (stored === undefined) {
      return undefined;
    }
    if (!this.#options.persistRefreshToken) {
      // Saved while persisting was allowed; it is not any more.
      await this.#writeStore(undefined);
      logger?.info(
        `dropped the saved login of ${this.#label}: persist_refresh_token is off`
      );
      return undefined;
    }
    return stored;
  }

  /**
   * Log in with a saved refresh token: one refresh. If the issuer cannot
   * be reached it stays `restorable`, tried again at the next use.
   */
  async adoptSaved(refreshToken: string): Promise<void> {
    this.#generation++;
    this.#refreshToken = refreshToken;
    this.#restorable = true;
    await this.#refreshOnce(this.#options.primaryKey);
    this.#options.logger?.info(
      `restored the saved login to ${this.#label} as ${this.#user}`
    );
  }

  /** Scrub the current tokens out of a text. */
  redact(text: string): string {
    return redactTokens(text, [
      this.#refreshToken,
      ...[...this.#access.values()].map(a => a.token)
    ]);
  }

  #due(access: IAccessToken): boolean {
    return refreshDue(access, this.#clock.now(), this.#timing);
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
      if (this.#host.isLoggedIn()) {
        await this.#dropLogin(
          'the access token expired and the login server gave no refresh token'
        );
      }
      throw this.#host.loginNeededError(site);
    }
    let tokens: ITokenResponse;
    try {
      const client = await this.#options.connect('renew the login');
      tokens = await client.refresh(refreshToken, {
        resource: key || undefined
      });
    } catch (err) {
      if (generation !== this.#generation) {
        return this.#afterTokenChange(key, site);
      }
      if (err instanceof OidcProtocolError) {
        // Redacted while the tokens are still known: dropping the login forgets them.
        const cause = redactedCause(err, text => this.redact(text));
        await this.#dropLogin(
          this.redact(
            `the login server refused to renew the login (${err.message})`
          )
        );
        throw this.#host.loginNeededError(site, cause);
      }
      if (err instanceof AuthConfigError || err instanceof LoginNeededError) {
        throw err;
      }
      // Network trouble: stay logged in; hand out the current token while
      // it is still good, else fail this call only.
      const detail = this.redact(
        err instanceof IssuerUnreachableError ? err.detail : errorMessage(err)
      );
      const current = this.#access.get(key);
      if (
        current &&
        current.expiresAt - this.#clock.now() >= this.#timing.minValidityOnError
      ) {
        this.#options.logger?.warn(
          `could not renew the login to ${this.#label} early (${detail}); ` +
            'using the current access token'
        );
        return current.token;
      }
      throw issuerUnreachable(
        this.#options.failure,
        'renew the login',
        detail,
        {
          keptLogin: this.#host.isLoggedIn(),
          cause: redactedCause(err, text => this.redact(text))
        }
      );
    }
    if (generation !== this.#generation) {
      // Logged out or logged in anew meanwhile: these tokens are orphans.
      this.#revokeUnused(tokens, refreshToken);
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
    this.#options.logger?.info(
      `renewed the login to ${this.#label} (valid ${seconds} s)`
    );
    return access.token;
  }

  /** A refresh lost a race with logout or a new login. */
  async #afterTokenChange(key: string, site?: ISiteRef): Promise<string> {
    if (this.#host.isLoggedIn()) {
      const current = this.#access.get(key);
      return current && !this.#due(current)
        ? current.token
        : this.#refresh(key, site);
    }
    throw this.#host.loginNeededError(site);
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
    if (this.#options.persistRefreshToken) {
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
    const primary = this.#access.get(this.#options.primaryKey) ?? access;
    this.#host.loggedIn({
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
    this.#options.logger?.warn(`login to ${this.#label} ended: ${reason}`);
    this.#host.loginEnded(reason);
    await this.#writeStore(undefined);
  }

  /** Serialised store write; returns a warning if it failed. */
  #writeStore(token: string | undefined): Promise<string | undefined> {
    const { store, loginKey, logger } = this.#options;
    if (!store) {
      return Promise.resolve(undefined);
    }
    const write = async (): Promise<string | undefined> => {
      try {
        await store.save(loginKey, token);
        return undefined;
      } catch (err) {
        const message = redactTokens(
          `could not ${token === undefined ? 'delete' : 'save'} the saved login of ` +
            `${this.#label}: ${errorMessage(err)}`,
          [token]
        );
        logger?.warn(message);
        if (token !== undefined) {
          // Never leave an older (now dead) token behind.
          await store.save(loginKey, undefined).catch(() => undefined);
        }
        return message;
      }
    };
    const run = this.#storeQueue.then(write, write);
    this.#storeQueue = run;
    return run;
  }

  #revokeUnused(tokens: ITokenResponse, except?: string): void {
    void revokeQuietly(this.#options.connect, tokens.refreshToken, except);
  }
}
