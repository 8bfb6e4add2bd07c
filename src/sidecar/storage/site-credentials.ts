/**
 * Each site's object-store keys for the logged-in user: fetched from the
 * site's STS with the login's access token, kept until half their life is
 * gone, fetched once at a time, and forgotten when the login ends. Only the
 * kernel route hands them out (`GET /kernel/sites/:site/storage-credentials`).
 */
import type {
  IStorageCredentials,
  ISiteConfig,
  IStsWebIdentityCredentials
} from '../../protocol';
import type { SessionManager } from '../auth';
import { StorageCredentialsError } from './errors';
import { assumeRoleWithWebIdentity, type IStsKeys } from './sts-web-identity';

export interface ISiteCredentialsOptions {
  sites: readonly ISiteConfig[];
  sessions: Pick<SessionManager, 'authorizationHeader' | 'onChange'>;
  now?: () => number;
  fetch?: typeof fetch;
}

const DEFAULT_DURATION_S = 3600;
const DEFAULT_REGION = 'us-east-1';

interface IHeld {
  keys: IStsKeys;
  issuedAt: number;
}

export class SiteCredentials {
  private readonly held = new Map<string, IHeld>();
  private readonly inFlight = new Map<string, Promise<IHeld>>();
  /** Bumped when a site's login ends: keys fetched for the old login are dropped. */
  private readonly logins = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: ISiteCredentialsOptions) {
    this.now = options.now ?? Date.now;
    // A logout, or a new login (perhaps as someone else), makes the keys go.
    options.sessions.onChange(change => {
      if (change.state.status !== 'logged-in') {
        for (const site of change.sites) {
          this.held.delete(site);
          // A fetch under the old login answers only those already waiting on it.
          this.inFlight.delete(site);
          this.logins.set(site, (this.logins.get(site) ?? 0) + 1);
        }
      }
    });
  }

  /** The site's keys, renewed when half their life is gone. */
  async forSite(name: string): Promise<IStorageCredentials> {
    const site = this.options.sites.find(s => s.name === name);
    const config = site?.data?.credentials;
    if (!site || config?.type !== 'sts-web-identity') {
      throw new StorageCredentialsError(
        'no-storage-credentials',
        `${site?.label ?? name}: the registry gives no object-store keys to fetch ` +
          `(data.credentials is ${JSON.stringify(config?.type ?? 'environment')}); ` +
          'the kernel uses its environment for this site.'
      );
    }
    const held = await this.current(site, config);
    return {
      site: name,
      accessKeyId: held.keys.accessKeyId,
      secretAccessKey: held.keys.secretAccessKey,
      sessionToken: held.keys.sessionToken,
      expiration: held.keys.expiration.toISOString(),
      issuedAt: new Date(held.issuedAt).toISOString(),
      region: config.region ?? DEFAULT_REGION
    };
  }

  private async current(
    site: ISiteConfig,
    config: IStsWebIdentityCredentials
  ): Promise<IHeld> {
    // Throws login-needed (with the panel's words) when there is no login.
    const authorization =
      (await this.options.sessions.authorizationHeader(site.name)) ?? '';
    const held = this.held.get(site.name);
    if (held && this.fresh(held)) {
      return held;
    }
    const waiting = this.inFlight.get(site.name);
    if (waiting) {
      return waiting;
    }
    const pending: Promise<IHeld> = this.fetchKeys(
      site,
      config,
      authorization
    ).finally(() => {
      // A logout meanwhile may have put a new login's fetch in its place: keep that one.
      if (this.inFlight.get(site.name) === pending) {
        this.inFlight.delete(site.name);
      }
    });
    this.inFlight.set(site.name, pending);
    return pending;
  }

  private fresh(held: IHeld): boolean {
    const life = held.keys.expiration.getTime() - held.issuedAt;
    return this.now() < held.issuedAt + life / 2;
  }

  private async fetchKeys(
    site: ISiteConfig,
    config: IStsWebIdentityCredentials,
    authorization: string
  ): Promise<IHeld> {
    const token = authorization.replace(/^Bearer\s+/i, '');
    const login = this.logins.get(site.name) ?? 0;
    const issuedAt = this.now();
    const keys = await assumeRoleWithWebIdentity({
      endpoint: config.endpoint,
      role: config.role,
      webIdentityToken: token,
      durationSeconds: config.duration ?? DEFAULT_DURATION_S,
      sessionName: `dask-sites-${site.name}`,
      label: site.label,
      fetch: this.options.fetch
    });
    const held = { keys, issuedAt };
    if ((this.logins.get(site.name) ?? 0) === login) {
      this.held.set(site.name, held);
    }
    return held;
  }
}
