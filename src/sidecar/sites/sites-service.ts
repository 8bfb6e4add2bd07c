/**
 * The sidecar's model of the sites, as the routes and the live WebSocket
 * use it. It puts the parts of `sites/` together — the states
 * (`site-states.ts`), their refresh (`site-refresher.ts`), cluster
 * operations (`cluster-operations.ts`), the kernel's cluster
 * (`kernel-connections.ts`) — and keeps them current: logins change a
 * site's state, watched sites are listed periodically and their clusters'
 * live figures polled.
 *
 * It knows nothing of HTTP: its errors are `CodedError`s, which the HTTP
 * layer answers through one table (`http/error-answers.ts`).
 */
import type {
  IClusterInfo,
  IClusterOptionSpec,
  ICreateClusterRequest,
  IDashboardPlot,
  IKernelConnection,
  IScaleResponse,
  ISiteConfig,
  ISiteRegistry,
  ISiteState,
  IVersionMismatch,
  LoginState
} from '../../protocol';
import type { SessionManager } from '../auth';
import { quoted } from '../errors';
import { GatewayClient, type DisplayNames } from '../gateway';
import {
  SchedulerMetrics,
  type LiveWatcher,
  type ILiveSubscription
} from '../live';
import type { StateFile } from '../state/state-file';
import { ClusterDashboards } from './cluster-dashboards';
import { codeLoginOutcome, type CodeLoginOutcome } from './code-login-outcome';
import { ClusterLiveness } from './cluster-liveness';
import { ClusterOperations } from './cluster-operations';
import { SitesError } from './errors';
import { KernelConnections } from './kernel-connections';
import { KernelOwners } from './kernel-owners';
import { KnownClusters, RESTARTED } from './known-clusters';
import { liveFigures } from './live-figures';
import { FRESH_MS, SiteRefresher } from './site-refresher';
import {
  initialState,
  keepAsLastSeen,
  SiteStates,
  type ISiteGateway,
  type ISiteMetrics
} from './site-states';
import { VersionReports } from './version-reports';

/** What the sites layer uses of the logins (tests give a fake). */
export type ISiteSessions = Pick<
  SessionManager,
  | 'loginKey'
  | 'state'
  | 'onChange'
  | 'authorizationHeader'
  | 'login'
  | 'cancelLogin'
  | 'logout'
  | 'completeCodeLogin'
>;

export interface ISitesServiceOptions {
  registry: ISiteRegistry;
  sessions: ISiteSessions;
  names: DisplayNames;
  state: Pick<StateFile, 'state' | 'update'>;
  /** Base path of the sidecar under the Jupyter server, e.g. `/user/alice/dask-sites/`. */
  basePath: string;
  autoCreateCluster: boolean;
  /** What becomes of clusters made for kernels once they ended (default stop-with-kernel). */
  kernelClusters?: 'stop-with-kernel' | 'keep';
  /** How long after that they stop (ms, default 60 s). */
  kernelClusterGraceMs?: number;
  /** How often watched sites' cluster lists are refreshed (ms). */
  listIntervalMs?: number;
  liveIntervalMs?: number;
  log?: (line: string) => void;
  /** The gateway client of a site (tests give fakes); a `GatewayClient` by default. */
  gatewayOf?: (site: ISiteConfig) => ISiteGateway;
  /** The scheduler figures reader of a site; a `SchedulerMetrics` by default. */
  metricsOf?: (site: ISiteConfig) => ISiteMetrics;
  /** The clock of refreshes (tests give their own). */
  now?: () => number;
  /**
   * A site's dashboards (or one cluster's) must stop being served now: the
   * cluster was stopped, or the login ended (open pages are closed too).
   */
  onDashboardsEnd?: (site: string, cluster?: string) => void;
}

/** How often clusters made for kernels that ended are looked for. */
const KERNEL_CLUSTER_CHECK_MS = 2_000;

export class SitesService {
  private readonly states = new SiteStates();
  private readonly watcher: LiveWatcher;
  private readonly refresher: SiteRefresher;
  private readonly operations: ClusterOperations;
  private readonly kernels: KernelConnections;
  private readonly liveness: ClusterLiveness;
  private readonly known: KnownClusters;
  private readonly dashboards: ClusterDashboards;
  private readonly versions = new VersionReports();
  private readonly owners: KernelOwners;
  private readonly ownersTimer: NodeJS.Timeout;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private listTimer: NodeJS.Timeout | undefined;

  constructor(private readonly config: ISitesServiceOptions) {
    const { sessions, names, state } = config;
    this.log = config.log ?? (line => process.stderr.write(`${line}\n`));
    this.now = config.now ?? Date.now;
    const gatewayOf = config.gatewayOf ?? (site => this.gatewayClient(site));
    const metricsOf =
      config.metricsOf ??
      (site =>
        new SchedulerMetrics({
          site: site.name,
          // No token: dashboards are not authenticated by the gateway, and
          // the scheduler behind them runs user code (see dashboard-proxy.ts).
          address: site.gateway.public_address ?? site.gateway.address
        }));
    const chosen = state.state.chosenClusters;
    this.known = new KnownClusters(state, names, this.log);
    for (const site of config.registry.sites) {
      const loginKey = sessions.loginKey(site.name);
      let login = sessions.state(site.name);
      if (login.status === 'logged-out' && this.known.wasLoggedIn(loginKey)) {
        login = { status: 'logged-out', reason: RESTARTED };
      }
      this.states.add({
        config: site,
        gateway: gatewayOf(site),
        metrics: metricsOf(site),
        state: {
          ...initialState(site, loginKey, login, chosen[site.name]),
          ...this.known.restore(site.name)
        },
        refreshedAt: 0
      });
    }
    this.liveness = new ClusterLiveness({
      states: this.states,
      now: config.now
    });
    this.owners = new KernelOwners({
      state,
      stop: (site, cluster) => this.stopCluster(site, cluster),
      changed: site => this.showOwners(site),
      mode: config.kernelClusters ?? 'stop-with-kernel',
      graceMs: config.kernelClusterGraceMs ?? 60_000,
      now: config.now,
      log: this.log
    });
    this.ownersTimer = setInterval(
      () => void this.stopKernelOrphans(),
      KERNEL_CLUSTER_CHECK_MS
    );
    this.ownersTimer.unref();
    this.watcher = liveFigures({
      states: this.states,
      liveness: this.liveness,
      intervalMs: config.liveIntervalMs,
      log: this.log
    });
    this.refresher = new SiteRefresher({
      states: this.states,
      names,
      liveOf: (site, cluster) => this.watcher.current(site, cluster),
      decorate: (site, cluster) => this.decorate(site, cluster),
      listed: (site, clusters) => {
        const names = clusters.map(c => c.name);
        this.liveness.prune(site, names);
        this.owners.prune(site, names);
        this.versions.prune(site, names);
        this.known.remember(site, clusters, this.now());
      },
      now: config.now
    });
    this.dashboards = new ClusterDashboards({
      states: this.states,
      refresher: this.refresher
    });
    this.operations = new ClusterOperations({
      states: this.states,
      refresher: this.refresher,
      sessions,
      names,
      state,
      watcher: this.watcher,
      log: this.log
    });
    this.kernels = new KernelConnections({
      states: this.states,
      refresher: this.refresher,
      operations: this.operations,
      sessions,
      liveness: this.liveness,
      owners: this.owners,
      basePath: config.basePath,
      autoCreateCluster: config.autoCreateCluster
    });
    // Names live in the state file; every change (rename, prune) is written.
    names.onChange(() =>
      state
        .update(document => {
          document.displayNames = names.toJSON();
        })
        .catch(err =>
          this.log(
            `sidecar: could not save display names: ${(err as Error).message}`
          )
        )
    );
    sessions.onChange(({ sites, state: login }) =>
      this.loginChanged(sites, login)
    );
  }

  // -- what the live WebSocket reads --------------------------------------------

  siteStates(): ISiteState[] {
    return this.states.snapshots();
  }

  onChange(listener: (sites: string[]) => void): () => void {
    return this.states.onChange(listener);
  }

  subscription(): ILiveSubscription {
    const live = this.watcher.subscription();
    return {
      set: sites => {
        const known = sites.filter(site => this.states.has(site));
        live.set(known);
        this.scheduleListing();
        void this.refresher.refresh(known);
      },
      close: () => {
        live.close();
        this.scheduleListing();
      }
    };
  }

  // -- sites and logins --------------------------------------------------------

  siteState(site: string): ISiteState {
    return this.states.snapshot(site);
  }

  /** Refresh reachability and cluster lists (all sites, or the given ones); see `SiteRefresher`. */
  refreshSites(names?: string[], maxAgeMs = FRESH_MS): Promise<void> {
    return this.refresher.refresh(names, maxAgeMs);
  }

  async startLogin(
    site: string,
    flow?: 'device' | 'code'
  ): Promise<LoginState> {
    this.states.entry(site);
    return this.config.sessions.login(site, flow ? { flow } : undefined);
  }

  /** Cancel a pending login, or log out. */
  async endLogin(site: string): Promise<LoginState> {
    const entry = this.states.entry(site);
    if (entry.state.login.status === 'pending') {
      this.config.sessions.cancelLogin(site);
    } else {
      const { warnings } = await this.config.sessions.logout(site);
      warnings.forEach(w => this.log(`sidecar: logout of ${site}: ${w}`));
    }
    return this.config.sessions.state(site);
  }

  async completeCodeLogin(callbackUrl: URL): Promise<CodeLoginOutcome> {
    const change = await this.config.sessions.completeCodeLogin(callbackUrl);
    return codeLoginOutcome(
      change,
      name => this.states.entry(name).config.label
    );
  }

  // -- clusters ----------------------------------------------------------------

  options(site: string): Promise<IClusterOptionSpec[]> {
    return this.operations.options(site);
  }

  clusters(site: string): Promise<IClusterInfo[]> {
    return this.operations.clusters(site);
  }

  createCluster(
    site: string,
    request: ICreateClusterRequest
  ): Promise<IClusterInfo> {
    return this.operations.create(site, request);
  }

  renameCluster(
    site: string,
    cluster: string,
    displayName: string
  ): Promise<IClusterInfo> {
    return this.operations.rename(site, cluster, displayName);
  }

  scale(site: string, cluster: string, count: number): Promise<IScaleResponse> {
    return this.operations.scale(site, cluster, count);
  }

  adapt(
    site: string,
    cluster: string,
    minimum: number,
    maximum: number
  ): Promise<IScaleResponse> {
    return this.operations.adapt(site, cluster, minimum, maximum);
  }

  /** The plots a running cluster of the user's offers (its scheduler's list, checked). */
  dashboardPlots(site: string, cluster: string): Promise<IDashboardPlot[]> {
    return this.dashboards.plots(site, cluster);
  }

  /** A kernel's comparison of its package versions with a cluster's, for the cluster's card. */
  reportVersions(
    site: string,
    cluster: string,
    mismatches: IVersionMismatch[]
  ): void {
    const info = this.states
      .entry(site)
      .state.clusters.find(c => c.name === cluster);
    if (!info) {
      throw new SitesError(
        'no-cluster',
        `${quoted(site)} has no cluster ${quoted(cluster)} of yours`
      );
    }
    if (this.versions.report(site, cluster, mismatches)) {
      delete info.versionMismatches;
      this.decorate(site, info);
      this.states.changed([site]);
    }
  }

  async stopCluster(site: string, cluster: string): Promise<void> {
    this.versions.report(site, cluster, []); // before the stop's refresh shows the card
    await this.operations.stop(site, cluster);
    this.owners.release(site, cluster);
    this.config.onDashboardsEnd?.(site, cluster);
  }

  async chooseCluster(
    site: string,
    cluster: string | null
  ): Promise<ISiteState> {
    const state = await this.operations.choose(site, cluster);
    if (cluster) {
      this.owners.release(site, cluster); // chosen for kernels: the user's now
    }
    return state;
  }

  /** `owner`: the asking kernel, `<kernel id>/<pid>` (clusters made for it end with it). */
  kernelConnection(
    site: string,
    cluster?: string,
    create = false,
    owner?: string
  ): Promise<IKernelConnection> {
    return this.kernels.connection(site, cluster, create, owner);
  }

  /** The Jupyter server's word on which kernels run (`server`: its id for this run). */
  kernelsRunning(server: string, kernels: readonly string[]): void {
    this.owners.kernelsRunning(server, kernels);
  }

  /** Stop the clusters made for kernels that all ended a grace period ago (a timer calls it). */
  stopKernelOrphans(): Promise<void> {
    return this.owners.stopOrphans();
  }

  /** Where a cluster's dashboard is, for the dashboard proxy (see `cluster-dashboards.ts`). */
  dashboardGatewayOf(
    site: string,
    cluster: string
  ): Promise<string | undefined> {
    return this.dashboards.gatewayOf(site, cluster);
  }

  dispose(): void {
    clearInterval(this.ownersTimer);
    this.watcher.stop();
    if (this.listTimer) {
      clearInterval(this.listTimer);
    }
  }

  // -- internals ---------------------------------------------------------------

  private gatewayClient(site: ISiteConfig): GatewayClient {
    return new GatewayClient({
      site: site.name,
      address: site.gateway.address,
      proxyAddress: site.gateway.proxy_address,
      authorizationHeader: o =>
        this.config.sessions.authorizationHeader(site.name, o),
      names: this.config.names
    });
  }

  private loginChanged(sites: string[], login: LoginState): void {
    for (const name of sites) {
      const entry = this.states.find(name);
      if (entry) {
        entry.state.login = login;
        if (login.status === 'logged-in') {
          this.known.loginChanged(entry.state.loginKey, login.user);
          entry.refreshedAt = 0; // list its clusters now that we may
        } else {
          if (login.status === 'logged-out') {
            this.known.loginChanged(entry.state.loginKey, undefined);
          }
          this.config.onDashboardsEnd?.(entry.state.name);
          keepAsLastSeen(entry, this.now());
        }
      }
    }
    this.states.changed(sites);
    void this.refresher.refresh(sites, 0);
  }

  /** What the sidecar knows of a cluster beyond the gateway's answer. */
  private decorate(site: string, cluster: IClusterInfo): void {
    const unreachable = this.liveness.of(site, cluster.name);
    if (unreachable && cluster.status === 'RUNNING') {
      cluster.unreachable = unreachable;
    }
    const forKernels = this.owners.info(site, cluster.name);
    if (forKernels) {
      cluster.forKernels = forKernels;
    }
    const mismatches = this.versions.of(site, cluster.name);
    if (mismatches) {
      cluster.versionMismatches = mismatches;
    }
  }

  /** Kernels came or went: the clusters made for them show it. */
  private showOwners(site: string): void {
    const entry = this.states.find(site);
    if (!entry) {
      return;
    }
    for (const cluster of entry.state.clusters) {
      delete cluster.forKernels;
      this.decorate(site, cluster);
    }
    this.states.changed([site]);
  }

  /** While someone watches, cluster lists are refreshed periodically (clusters started elsewhere show up). */
  private scheduleListing(): void {
    const watched = this.watcher.watchedSites();
    if (watched.length && !this.listTimer) {
      this.listTimer = setInterval(
        () => void this.refresher.refresh(this.watcher.watchedSites()),
        this.config.listIntervalMs ?? 5_000
      );
      this.listTimer.unref();
    } else if (!watched.length && this.listTimer) {
      clearInterval(this.listTimer);
      this.listTimer = undefined;
    }
  }
}
