/**
 * The login sessions of all configured sites.
 *
 * Sites whose auth has the same issuer and client id share one
 * `OidcSession`: logging in to one logs in all of them. Sites with
 * `jupyterhub` or `none` auth get a `NotRequiredSession`. The sidecar talks
 * to sessions through this manager, by site name.
 */
import { createHash } from 'node:crypto';

import type { ISiteConfig, LoginState, SiteAuth } from '../../protocol';

import type { IClock } from './clock';
import { AuthConfigError, CallbackError } from './errors';
import type { IOidcConnector } from './issuer-client';
import type { IRefreshTokenStore } from './refresh-store';
import { OidcSession } from './oidc-session';
import type {
  IAuthLogger,
  ILoginOptions,
  ILogoutResult,
  ISession,
  ISiteRef
} from './session-types';
import { NotRequiredSession } from './not-required-session';
import type { ISessionTiming } from './token-policy';

/** Scopes of an OIDC site that names none. */
export const DEFAULT_SCOPES = ['openid', 'profile', 'offline_access'];

export interface ISessionManagerOptions {
  sites: ISiteConfig[];
  /** Needed if any site uses OIDC: `new OpenidClientConnector()` in the sidecar. */
  connector?: IOidcConnector;
  /** Where refresh tokens are kept across restarts (sites that allow it). */
  store?: IRefreshTokenStore;
  clock?: IClock;
  logger?: IAuthLogger;
  /**
   * The sidecar's public OAuth callback URL, as the browser reaches it
   * under the Jupyter server, e.g.
   * `http://127.0.0.1:8888/dask-sites/oidc/callback`. Needed for the code
   * flow; it must be registered at the issuer as a redirect URI.
   */
  callbackUrl?: string;
  timing?: Partial<ISessionTiming>;
  /** Environment for `JUPYTERHUB_API_TOKEN`; `process.env`. */
  env?: { [name: string]: string | undefined };
}

/** A session's state changed; `sites` are all the sites sharing it. */
export interface ILoginChange {
  loginKey: string;
  sites: string[];
  state: LoginState;
}

/**
 * The login key of a site's auth: sites with the same key share a login.
 * Opaque (a hash for OIDC), so it can go to the browser without the
 * issuer's address.
 */
export function loginKeyOf(auth: SiteAuth): string {
  if (auth.type !== 'oidc') {
    return auth.type;
  }
  const issuer = auth.issuer.replace(/\/+$/, '');
  const digest = createHash('sha256')
    .update(`${issuer}\n${auth.client_id}`)
    .digest('hex');
  return `oidc-${digest.slice(0, 16)}`;
}

export class SessionManager {
  readonly #sites = new Map<string, ISiteConfig>();
  readonly #bySite = new Map<string, ISession>();
  readonly #byKey = new Map<string, ISession>();
  readonly #sitesByKey = new Map<string, string[]>();
  readonly #listeners = new Set<(change: ILoginChange) => void>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #logger?: IAuthLogger;

  constructor(options: ISessionManagerOptions) {
    this.#logger = options.logger;
    const groups = new Map<string, ISiteConfig[]>();
    for (const site of options.sites) {
      if (this.#sites.has(site.name)) {
        throw new AuthConfigError(`site "${site.name}" is configured twice`);
      }
      this.#sites.set(site.name, site);
      const key = loginKeyOf(site.auth);
      groups.set(key, [...(groups.get(key) ?? []), site]);
    }
    for (const [key, sites] of groups) {
      const session = this.#createSession(key, sites, options);
      this.#byKey.set(key, session);
      this.#sitesByKey.set(
        key,
        sites.map(s => s.name)
      );
      for (const site of sites) {
        this.#bySite.set(site.name, session);
      }
      this.#unsubscribe.push(session.onChange(state => this.#emit(key, state)));
    }
  }

  /** The login key of a site (`ISiteState.loginKey`). */
  loginKey(site: string): string {
    return this.session(site).loginKey;
  }

  /** The session of a site; throws `AuthConfigError` for an unknown site. */
  session(site: string): ISession {
    const session = this.#bySite.get(site);
    if (!session) {
      throw new AuthConfigError(`unknown site "${site}"`);
    }
    return session;
  }

  /** The sites sharing a login key, in registry order. */
  sitesOf(loginKey: string): string[] {
    return [...(this.#sitesByKey.get(loginKey) ?? [])];
  }

  /** Every session once. */
  sessions(): ISession[] {
    return [...this.#byKey.values()];
  }

  state(site: string): LoginState {
    return this.session(site).state;
  }

  /**
   * The `Authorization` header for a site's gateway, or `undefined` if the
   * site needs none. Throws `LoginNeededError` (log in first),
   * `IssuerUnreachableError` (try again) or `AuthConfigError`.
   */
  authorizationHeader(
    site: string,
    options: { forceRefresh?: boolean } = {}
  ): Promise<string | undefined> {
    const config = this.#site(site);
    return this.session(site).authorizationHeader({
      resource: config.auth.type === 'oidc' ? config.auth.resource : undefined,
      forceRefresh: options.forceRefresh,
      site: siteRef(config)
    });
  }

  /** Start a login for a site (and the sites sharing its login). */
  login(site: string, options: ILoginOptions = {}): Promise<LoginState> {
    const config = this.#site(site);
    const flow =
      options.flow ??
      (config.auth.type === 'oidc' ? config.auth.flow : undefined) ??
      'device';
    return this.session(site).login({ flow });
  }

  cancelLogin(site: string): void {
    this.session(site).cancelLogin();
  }

  logout(site: string): Promise<ILogoutResult> {
    return this.session(site).logout();
  }

  /**
   * Finish a code flow login: `callbackUrl` is the URL the browser was
   * sent to (only its query is used). Throws `CallbackError` if its
   * `state` belongs to no login in progress.
   */
  async completeCodeLogin(callbackUrl: URL): Promise<ILoginChange> {
    for (const [key, session] of this.#byKey) {
      if (
        session instanceof OidcSession &&
        session.matchesCallback(callbackUrl)
      ) {
        const state = await session.completeCodeLogin(callbackUrl);
        return { loginKey: key, sites: this.sitesOf(key), state };
      }
    }
    throw new CallbackError(
      'This login answer does not belong to a login in progress (unknown, ' +
        'already used or expired); start the login again from the Dask Sites panel'
    );
  }

  /** At startup: restore saved logins (all at once; never rejects). */
  async restore(): Promise<void> {
    await Promise.all(
      this.sessions().map(session =>
        session.restore().catch(err => {
          this.#logger?.warn(
            `could not restore a saved login: ${err instanceof Error ? err.message : String(err)}`
          );
        })
      )
    );
  }

  /** Called after every login state change, with the sites it concerns. */
  onChange(listener: (change: ILoginChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Stop polling and timers (sidecar shutdown). Tokens are not revoked. */
  dispose(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) {
      unsubscribe();
    }
    for (const session of this.sessions()) {
      session.dispose();
    }
    this.#listeners.clear();
  }

  toJSON(): {
    sessions: (ReturnType<ISession['toJSON']> & { sites: string[] })[];
  } {
    return {
      sessions: this.sessions().map(s => ({
        ...s.toJSON(),
        sites: this.sitesOf(s.loginKey)
      }))
    };
  }

  #site(name: string): ISiteConfig {
    const site = this.#sites.get(name);
    if (!site) {
      throw new AuthConfigError(`unknown site "${name}"`);
    }
    return site;
  }

  #emit(loginKey: string, state: LoginState): void {
    const change = { loginKey, sites: this.sitesOf(loginKey), state };
    for (const listener of [...this.#listeners]) {
      try {
        listener({ ...change, sites: [...change.sites], state: { ...state } });
      } catch (err) {
        this.#logger?.warn(
          `login change listener failed: ${err instanceof Error ? err.message : String(err)}`
        );
      }
    }
  }

  #createSession(
    key: string,
    sites: ISiteConfig[],
    options: ISessionManagerOptions
  ): ISession {
    const first = sites[0].auth;
    if (first.type !== 'oidc') {
      return new NotRequiredSession({
        kind: first.type,
        loginKey: key,
        env: options.env
      });
    }
    if (!options.connector) {
      throw new Error(
        'SessionManager: sites use OIDC but no connector was given'
      );
    }
    const auths = sites.map(s => s.auth).filter(isOidc);
    const scopes = unique(auths.flatMap(a => a.scopes ?? DEFAULT_SCOPES));
    const resources = unique(
      auths.flatMap(a => (a.resource ? [a.resource] : []))
    );
    const persist = auths.every(a => a.persist_refresh_token === true);
    if (!persist && auths.some(a => a.persist_refresh_token === true)) {
      this.#logger?.warn(
        `sites ${sites.map(s => s.name).join(', ')} share a login but not all ` +
          'allow persist_refresh_token: the login is not saved'
      );
    }
    return new OidcSession(
      {
        loginKey: key,
        issuer: first.issuer,
        clientId: first.client_id,
        sites: sites.map(siteRef),
        scopes,
        resources,
        defaultFlow: first.flow ?? 'device',
        silentFirst: first.silent_first !== false,
        persistRefreshToken: persist
      },
      {
        connector: options.connector,
        store: options.store,
        clock: options.clock,
        logger: options.logger,
        callbackUrl: options.callbackUrl,
        timing: options.timing
      }
    );
  }
}

function isOidc(auth: SiteAuth): auth is Extract<SiteAuth, { type: 'oidc' }> {
  return auth.type === 'oidc';
}

function siteRef(site: ISiteConfig): ISiteRef {
  return { name: site.name, label: site.label };
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
