/**
 * The sidecar's model of the sites: for each configured site its login (via
 * the session manager), reachability, clusters, display names, the cluster
 * kernels use, and live figures while someone watches. Routes and the live
 * WebSocket work through this class; it is the one place that talks to the
 * gateways.
 */
import type {
  IClusterInfo,
  IClusterOptionSpec,
  ICreateClusterRequest,
  IKernelConnection,
  ISiteConfig,
  ISiteRegistry,
  ISiteState,
  LoginState
} from '../protocol';
import { LoginNeededError, type SessionManager } from './auth';
import { GatewayClient, type DisplayNames } from './gateway';
import { SitesError } from './sites/errors';
import type { ISitesService } from './http/routes';
import type { ILiveSource } from './http/live-socket';
import { LiveWatcher, SchedulerMetrics, type ILiveSubscription } from './live';
import type { StateFile } from './state/state-file';

export interface ISitesServiceOptions {
  registry: ISiteRegistry;
  sessions: SessionManager;
  names: DisplayNames;
  state: StateFile;
  /** Base path of the sidecar under the Jupyter server, e.g. `/user/alice/dask-sites/`. */
  basePath: string;
  autoCreateCluster: boolean;
  /** How often watched sites' cluster lists are refreshed (ms). */
  listIntervalMs?: number;
  liveIntervalMs?: number;
  log?: (line: string) => void;
}

interface ISiteEntry {
  config: ISiteConfig;
  gateway: GatewayClient;
  metrics: SchedulerMetrics;
  state: ISiteState;
  /** When the cluster list was last refreshed (ms). */
  refreshedAt: number;
  /** The latest refresh, running or queued behind an older one. */
  refreshing?: Promise<void>;
  /** When that refresh began asking the gateway; undefined while it is queued. */
  refreshStartedAt?: number;
}

/** Upper bound asked for auto-created clusters; the gateway lowers it to its own limit. */
const AUTO_CREATED_MAX_WORKERS = 8;

/** Lists older than this are refreshed before an answer. */
const FRESH_MS = 2_000;

export class SitesService implements ISitesService, ILiveSource {
  private readonly sites = new Map<string, ISiteEntry>();
  private readonly listeners = new Set<(sites: string[]) => void>();
  private readonly watcher: LiveWatcher;
  private listTimer: NodeJS.Timeout | undefined;
  private readonly log: (line: string) => void;

  constructor(private readonly config: ISitesServiceOptions) {
    const options = config; // (the loop below names each site's entry `config`)
    this.log = options.log ?? (line => process.stderr.write(`${line}\n`));
    const chosen = options.state.state.chosenClusters;
    for (const config of options.registry.sites) {
      const authorizationHeader = (o?: { forceRefresh?: boolean }) =>
        options.sessions.authorizationHeader(config.name, o);
      const address = config.gateway.address;
      this.sites.set(config.name, {
        config,
        gateway: new GatewayClient({
          site: config.name,
          address,
          proxyAddress: config.gateway.proxy_address,
          authorizationHeader,
          names: options.names
        }),
        metrics: new SchedulerMetrics({
          site: config.name,
          // No token: dashboards are not authenticated by the gateway, and
          // the scheduler behind them runs user code (see dashboard-proxy.ts).
          address: config.gateway.public_address ?? address
        }),
        state: {
          name: config.name,
          label: config.label,
          ...(config.colour ? { colour: config.colour } : {}),
          loginKey: options.sessions.loginKey(config.name),
          ...(config.data ? { data: config.data } : {}),
          login: options.sessions.state(config.name),
          reachability: { status: 'unknown' },
          clusters: [],
          ...(chosen[config.name] ? { chosenCluster: chosen[config.name] } : {})
        },
        refreshedAt: 0
      });
    }
    // Names live in the state file; every change (rename, prune) is written.
    options.names.onChange(() =>
      this.persistNames().catch(err =>
        this.log(
          `sidecar: could not save display names: ${(err as Error).message}`
        )
      )
    );
    options.sessions.onChange(({ sites, state }) => {
      for (const name of sites) {
        const entry = this.sites.get(name);
        if (entry) {
          entry.state.login = state;
          if (state.status === 'logged-in') {
            entry.refreshedAt = 0; // list its clusters now that we may
          } else {
            entry.state.clusters = [];
          }
        }
      }
      this.changed(sites);
      void this.refreshSites(sites, 0);
    });
    this.watcher = new LiveWatcher({
      intervalMs: options.liveIntervalMs,
      clusters: site =>
        this.entry(site)
          .state.clusters.filter(c => c.status === 'RUNNING')
          .map(c => c.name),
      fetch: (site, cluster, signal) =>
        this.entry(site).metrics.fetch(cluster, signal),
      onUpdate: (site, cluster, live) => {
        const info = this.entry(site).state.clusters.find(
          c => c.name === cluster
        );
        if (info) {
          info.live = live;
          this.changed([site]);
        }
      },
      onForget: (site, cluster) => this.entry(site).metrics.forget(cluster),
      onError: (site, cluster, error) =>
        this.log(
          `sidecar: live figures of ${site}/${cluster ?? '*'}: ${(error as Error).message}`
        )
    });
  }

  // -- ILiveSource -------------------------------------------------------------

  siteStates(): ISiteState[] {
    return [...this.sites.values()].map(e => structuredClone(e.state));
  }

  onChange(listener: (sites: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscription(): ILiveSubscription {
    const live = this.watcher.subscription();
    return {
      set: sites => {
        const known = sites.filter(site => this.sites.has(site));
        live.set(known);
        this.scheduleListing();
        void this.refreshSites(known);
      },
      close: () => {
        live.close();
        this.scheduleListing();
      }
    };
  }

  // -- sites and logins --------------------------------------------------------

  siteState(site: string): ISiteState {
    return structuredClone(this.entry(site).state);
  }

  /**
   * Refresh reachability and cluster lists (all sites, or the given ones),
   * concurrently. An answer at most `maxAgeMs` old is good enough; a refresh
   * that began earlier than that (before a change the caller made) is not
   * joined but followed by a new one.
   */
  async refreshSites(names?: string[], maxAgeMs = FRESH_MS): Promise<void> {
    const wanted = names ?? [...this.sites.keys()];
    const since = Date.now() - maxAgeMs;
    await Promise.all(
      wanted.map(name => {
        const entry = this.sites.get(name);
        if (!entry || entry.refreshedAt > since) {
          return undefined;
        }
        const started = entry.refreshStartedAt;
        if (entry.refreshing && (started === undefined || started >= since)) {
          return entry.refreshing; // running recently enough, or not started yet
        }
        const previous = entry.refreshing ?? Promise.resolve();
        entry.refreshStartedAt = undefined;
        const run: Promise<void> = previous
          .catch(() => undefined)
          .then(() => {
            entry.refreshStartedAt = Date.now();
            return this.refreshSite(entry);
          })
          .finally(() => {
            if (entry.refreshing === run) {
              entry.refreshing = undefined;
            }
          });
        entry.refreshing = run;
        return run;
      })
    );
  }

  async startLogin(
    site: string,
    flow?: 'device' | 'code'
  ): Promise<LoginState> {
    this.entry(site);
    return this.config.sessions.login(site, flow ? { flow } : undefined);
  }

  async endLogin(site: string): Promise<LoginState> {
    const entry = this.entry(site);
    if (entry.state.login.status === 'pending') {
      this.config.sessions.cancelLogin(site);
    } else {
      const { warnings } = await this.config.sessions.logout(site);
      warnings.forEach(w => this.log(`sidecar: logout of ${site}: ${w}`));
    }
    return this.config.sessions.state(site);
  }

  async completeCodeLogin(callbackUrl: URL): Promise<string[]> {
    const change = await this.config.sessions.completeCodeLogin(callbackUrl);
    return change.sites.map(name => this.entry(name).config.label);
  }

  // -- clusters ----------------------------------------------------------------

  /** The gateway's options, with the site's `cluster_defaults` as their defaults (forms show what a create would use). */
  async options(site: string): Promise<IClusterOptionSpec[]> {
    const entry = this.entry(site);
    const defaults = entry.config.cluster_defaults ?? {};
    return (await entry.gateway.options()).map(option =>
      Object.prototype.hasOwnProperty.call(defaults, option.field)
        ? { ...option, default: defaults[option.field] }
        : option
    );
  }

  async clusters(site: string): Promise<IClusterInfo[]> {
    const entry = this.entry(site);
    await this.refreshSites([site], 0);
    const login = entry.state.login.status;
    if (login !== 'logged-in' && login !== 'not-required') {
      await this.config.sessions.authorizationHeader(site); // throws LoginNeededError
    }
    if (entry.state.error) {
      throw new SitesError('site-error', entry.state.error);
    }
    return structuredClone(entry.state.clusters);
  }

  async createCluster(
    site: string,
    request: ICreateClusterRequest
  ): Promise<IClusterInfo> {
    const entry = this.entry(site);
    const values = {
      ...(entry.config.cluster_defaults ?? {}),
      ...(request.options ?? {})
    };
    const name = await entry.gateway.create(values, {
      ...(request.displayName ? { displayName: request.displayName } : {})
    });
    let info = await entry.gateway.get(name);
    this.upsert(entry, info);
    if (request.wait) {
      info = await entry.gateway.waitUntilRunning(name, {
        onProgress: progress => this.upsert(entry, progress)
      });
      this.upsert(entry, info);
    }
    return info;
  }

  async renameCluster(
    site: string,
    cluster: string,
    displayName: string
  ): Promise<IClusterInfo> {
    const entry = this.entry(site);
    const info = await entry.gateway.get(cluster); // it must exist and be the user's
    this.config.names.set(site, cluster, displayName);
    const renamed = {
      ...info,
      displayName: this.config.names.get(site, cluster)
    };
    this.upsert(entry, renamed);
    return renamed;
  }

  async scale(
    site: string,
    cluster: string,
    count: number
  ): Promise<IClusterInfo> {
    const entry = this.entry(site);
    const result = await entry.gateway.scale(cluster, count);
    if (!result.ok) {
      this.log(
        `sidecar: ${site}: scale of ${cluster} clamped: ${result.message ?? ''}`
      );
    }
    return this.reload(entry, cluster);
  }

  async adapt(
    site: string,
    cluster: string,
    minimum: number,
    maximum: number
  ): Promise<IClusterInfo> {
    const entry = this.entry(site);
    await entry.gateway.adapt(cluster, minimum, maximum);
    return this.reload(entry, cluster);
  }

  async stopCluster(site: string, cluster: string): Promise<void> {
    const entry = this.entry(site);
    await entry.gateway.stop(cluster);
    this.watcher.forget(site, cluster);
    if (entry.state.chosenCluster === cluster) {
      await this.chooseCluster(site, null);
    }
    await this.refreshSites([site], 0);
  }

  async chooseCluster(
    site: string,
    cluster: string | null
  ): Promise<ISiteState> {
    const entry = this.entry(site);
    if (cluster) {
      await entry.gateway.get(cluster); // must exist and be the user's
      entry.state.chosenCluster = cluster;
    } else {
      delete entry.state.chosenCluster;
    }
    await this.config.state.update(state => {
      if (cluster) {
        state.chosenClusters[site] = cluster;
      } else {
        delete state.chosenClusters[site];
      }
    });
    this.changed([site]);
    return this.siteState(site);
  }

  /** The only way a cluster's TLS key leaves the sidecar: to a kernel. */
  async kernelConnection(
    site: string,
    cluster?: string,
    create = false
  ): Promise<IKernelConnection> {
    const entry = this.entry(site);
    let name = cluster ?? (await this.clusterForKernel(entry));
    let created = false;
    if (!name) {
      if (!create || !this.config.autoCreateCluster) {
        throw new SitesError(
          'no-cluster',
          `${site}: no running cluster. Start one in the Dask Sites panel` +
            (this.config.autoCreateCluster
              ? '.'
              : ', or let kernels create one (c.DaskSites.auto_create_cluster = True).')
        );
      }
      const info = await this.createCluster(site, { wait: true });
      name = info.name;
      created = true;
      // A cluster made for a kernel must be able to work at once and grow with
      // it: adaptive from one worker up to what the gateway allows.
      await entry.gateway.adapt(name, 1, AUTO_CREATED_MAX_WORKERS);
    }
    if (entry.state.clusters.find(c => c.name === name)?.status === 'PENDING') {
      await entry.gateway.waitUntilRunning(name); // still starting: wait rather than fail
    }
    const connection = await entry.gateway.connectionInfo(name);
    return {
      site,
      cluster: name,
      displayName: connection.cluster.displayName,
      address: connection.address,
      tlsCert: connection.tlsCert,
      tlsKey: connection.tlsKey,
      dashboardPath: `${this.config.basePath}dashboard/${encodeURIComponent(site)}/${encodeURIComponent(name)}/status`,
      created
    };
  }

  /** Where a site's dashboards are, for the dashboard proxy (registered sites only). */
  dashboardGatewayOf(site: string): string | undefined {
    const gateway = this.sites.get(site)?.config.gateway;
    return gateway ? (gateway.public_address ?? gateway.address) : undefined;
  }

  dispose(): void {
    this.watcher.stop();
    if (this.listTimer) {
      clearInterval(this.listTimer);
    }
  }

  // -- internals ---------------------------------------------------------------

  private entry(site: string): ISiteEntry {
    const entry = this.sites.get(site);
    if (!entry) {
      const known = [...this.sites.keys()].join(', ') || 'none';
      throw new SitesError(
        'unknown-site',
        `unknown site "${site}"; known sites: ${known}`
      );
    }
    return entry;
  }

  private async clusterForKernel(
    entry: ISiteEntry
  ): Promise<string | undefined> {
    // Not logged in says so (a listing without a login would just look empty).
    await this.config.sessions.authorizationHeader(entry.config.name);
    await this.refreshSites([entry.config.name], 0);
    const running = entry.state.clusters.filter(
      c => c.status === 'RUNNING' || c.status === 'PENDING'
    );
    const chosen = running.find(c => c.name === entry.state.chosenCluster);
    if (chosen) {
      return chosen.name;
    }
    if (running.length === 1) {
      return running[0].name;
    }
    if (running.length > 1) {
      const list = running.map(c => `${c.displayName} (${c.name})`).join(', ');
      throw new SitesError(
        'ambiguous-cluster',
        `${entry.config.name}: ${running.length} clusters run (${list}); choose one for kernels in the Dask Sites panel`
      );
    }
    return undefined;
  }

  private async refreshSite(entry: ISiteEntry): Promise<void> {
    const name = entry.config.name;
    const before = comparable(entry.state);
    try {
      const { version } = await entry.gateway.health();
      entry.state.reachability = {
        status: 'up',
        version,
        checkedAt: Date.now()
      };
    } catch (err) {
      entry.state.reachability = {
        status: 'down',
        error: (err as Error).message,
        checkedAt: Date.now()
      };
    }
    const login = entry.state.login.status;
    if (
      entry.state.reachability.status === 'up' &&
      (login === 'logged-in' || login === 'not-required')
    ) {
      try {
        const clusters = await entry.gateway.list();
        for (const cluster of clusters) {
          const live = this.watcher.current(name, cluster.name);
          if (live) {
            cluster.live = live;
          }
        }
        entry.state.clusters = clusters;
        delete entry.state.error;
        // Forget names of clusters the gateway no longer reports.
        this.config.names.prune(
          name,
          clusters.map(c => c.name)
        );
      } catch (err) {
        if (err instanceof LoginNeededError) {
          delete entry.state.error; // the login state says it all
        } else {
          entry.state.error = (err as Error).message;
        }
      }
    } else if (entry.state.reachability.status === 'down') {
      entry.state.error = entry.state.reachability.error;
    }
    entry.refreshedAt = Date.now();
    if (comparable(entry.state) !== before) {
      this.changed([name]);
    }
  }

  private async reload(
    entry: ISiteEntry,
    cluster: string
  ): Promise<IClusterInfo> {
    const info = await entry.gateway.get(cluster);
    this.upsert(entry, info);
    void this.watcher.pollNow();
    return info;
  }

  private upsert(entry: ISiteEntry, info: IClusterInfo): void {
    const clusters = entry.state.clusters;
    const index = clusters.findIndex(c => c.name === info.name);
    const live = index >= 0 ? clusters[index].live : undefined;
    const merged = live && !info.live ? { ...info, live } : info;
    if (index >= 0) {
      clusters[index] = merged;
    } else {
      clusters.push(merged);
    }
    this.changed([entry.config.name]);
  }

  private async persistNames(): Promise<void> {
    await this.config.state.update(state => {
      state.displayNames = this.config.names.toJSON();
    });
  }

  /** While someone watches, cluster lists are refreshed periodically (clusters started elsewhere show up). */
  private scheduleListing(): void {
    const watched = this.watcher.watchedSites();
    if (watched.length && !this.listTimer) {
      this.listTimer = setInterval(
        () => void this.refreshSites(this.watcher.watchedSites()),
        this.config.listIntervalMs ?? 5_000
      );
      this.listTimer.unref();
    } else if (!watched.length && this.listTimer) {
      clearInterval(this.listTimer);
      this.listTimer = undefined;
    }
  }

  private changed(sites: string[]): void {
    for (const listener of this.listeners) {
      listener(sites);
    }
  }
}

/** A site's state for change detection: when it was last checked is no change. */
function comparable(state: ISiteState): string {
  return JSON.stringify({
    ...state,
    reachability: { ...state.reachability, checkedAt: undefined }
  });
}
