/**
 * What every login session offers, whatever the site's auth type: OIDC
 * (`OidcSession`), JupyterHub token or none (`NotRequiredSession`).
 */
import type { LoginState } from '../../protocol';

export type SessionKind = 'oidc' | 'jupyterhub' | 'none';

/** The site a call is made for: named in messages ("log in to <label>"). */
export interface ISiteRef {
  name: string;
  label: string;
}

export interface IAuthorizationOptions {
  /** RFC 8707 resource of the access token; defaults to the session's first. */
  resource?: string;
  /** Refresh even if the current access token is still good (e.g. after a 401). */
  forceRefresh?: boolean;
  /** The site asking, for error messages. */
  site?: ISiteRef;
}

export interface ILoginOptions {
  /** Defaults to the site's `auth.flow`, else `device`. */
  flow?: 'device' | 'code';
}

export interface ILogoutResult {
  /** Problems that did not stop the logout (e.g. revocation failed). */
  warnings: string[];
}

/** Where the sessions report what happens. Never handed a token. */
export interface IAuthLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** `JSON.stringify(session)`: no tokens, no issuer address. */
export interface ISessionSummary {
  loginKey: string;
  kind: SessionKind;
  state: LoginState;
}

export interface ISession {
  readonly loginKey: string;
  readonly kind: SessionKind;
  /** A copy of the current state. */
  readonly state: LoginState;
  /** Called with the new state after every change; returns an unsubscribe. */
  onChange(listener: (state: LoginState) => void): () => void;
  /**
   * The `Authorization` header value for the site's gateway: `Bearer ...`
   * (OIDC), `token ...` (JupyterHub) or `undefined` (none).
   */
  authorizationHeader(
    options?: IAuthorizationOptions
  ): Promise<string | undefined>;
  /**
   * Start a login. Resolves with the `pending` state (what to show the
   * user); a login already pending is returned as is, and a session that is
   * logged in stays so (log out first to switch user).
   */
  login(options?: ILoginOptions): Promise<LoginState>;
  /** Resolves with the state once no login is pending any more. */
  settled(): Promise<LoginState>;
  /** Abandon a pending login: state `logged-out`. */
  cancelLogin(): void;
  /** Revoke and forget the tokens: state `logged-out`. */
  logout(): Promise<ILogoutResult>;
  /** Use a stored refresh token, if allowed and present (startup). */
  restore(): Promise<LoginState>;
  /** Stop timers and polling (sidecar shutdown). */
  dispose(): void;
  toJSON(): ISessionSummary;
}

/** Shared bookkeeping of change listeners. */
export class StateListeners {
  readonly #listeners = new Set<(state: LoginState) => void>();
  readonly #logger?: IAuthLogger;

  constructor(logger?: IAuthLogger) {
    this.#logger = logger;
  }

  add(listener: (state: LoginState) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  emit(state: LoginState): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener({ ...state });
      } catch (err) {
        this.#logger?.warn(
          `login state listener failed: ${err instanceof Error ? err.message : String(err)}`
        );
      }
    }
  }
}
