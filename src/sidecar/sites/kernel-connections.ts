/**
 * Which cluster of a site a kernel gets, and its connection: the one chosen
 * in the panel, else the only one running that answers, else (when allowed)
 * a new one made for the kernel. A cluster whose scheduler does not answer
 * (`cluster-liveness.ts`) is never handed out: the kernel hears why at
 * once instead of waiting for it. This is the only way a cluster's TLS key
 * leaves the sidecar, and only to a kernel (the route takes the kernel
 * secret only).
 */
import type { IClusterInfo, IKernelConnection } from '../../protocol';
import type { SessionManager } from '../auth';
import { isUp } from '../gateway';
import type { ClusterLiveness } from './cluster-liveness';
import type { ClusterOperations } from './cluster-operations';
import type { KernelOwners } from './kernel-owners';
import { SitesError } from './errors';
import type { SiteRefresher } from './site-refresher';
import type { ISiteEntry, SiteStates } from './site-states';

/** Upper bound asked for auto-created clusters; the gateway lowers it to its own limit. */
const AUTO_CREATED_MAX_WORKERS = 8;

export interface IKernelConnectionsOptions {
  states: SiteStates;
  refresher: SiteRefresher;
  operations: ClusterOperations;
  sessions: Pick<SessionManager, 'authorizationHeader'>;
  liveness: ClusterLiveness;
  owners: KernelOwners;
  /** Base path of the sidecar under the Jupyter server, e.g. `/user/alice/dask-sites/`. */
  basePath: string;
  autoCreateCluster: boolean;
}

export class KernelConnections {
  constructor(private readonly options: IKernelConnectionsOptions) {}

  async connection(
    site: string,
    cluster?: string,
    create = false,
    owner?: string
  ): Promise<IKernelConnection> {
    const entry = this.options.states.entry(site);
    const mayCreate = create && this.options.autoCreateCluster;
    let name = cluster ?? (await this.clusterFor(entry, mayCreate));
    if (cluster) {
      const asked = entry.state.clusters.find(c => c.name === cluster);
      if (asked) {
        await this.requireAnswering(site, asked, 'the cluster asked for');
      }
    }
    let created = false;
    if (!name) {
      if (!mayCreate) {
        throw new SitesError(
          'no-cluster',
          `${site}: no running cluster. Start one in the Dask Sites panel` +
            (this.options.autoCreateCluster
              ? '.'
              : ', or let kernels create one (c.DaskSites.auto_create_cluster = True).')
        );
      }
      const info = await this.options.operations.create(site, { wait: true });
      name = info.name;
      created = true;
      // A cluster made for a kernel must be able to work at once and grow with
      // it: adaptive from one worker up to what the gateway allows.
      await entry.gateway.adapt(name, 1, AUTO_CREATED_MAX_WORKERS);
      this.options.owners.created(site, name, owner);
    } else {
      this.options.owners.used(site, name, owner);
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
      dashboardPath: `${this.options.basePath}dashboard/${encodeURIComponent(site)}/${encodeURIComponent(name)}/status`,
      created
    };
  }

  /**
   * The chosen cluster if it runs (and answers), else the only one running
   * that answers; several without a choice is an error. Undefined when none
   * does: a new one is made if `mayCreate`, else the caller says so.
   */
  private async clusterFor(
    entry: ISiteEntry,
    mayCreate: boolean
  ): Promise<string | undefined> {
    const site = entry.config.name;
    // Not logged in says so (a listing without a login would just look empty).
    await this.options.sessions.authorizationHeader(site);
    await this.options.refresher.refresh([site], 0);
    const running = entry.state.clusters.filter(
      c => isUp(c.status) && !this.options.owners.stopping(site, c.name)
    );
    const chosen = running.find(c => c.name === entry.state.chosenCluster);
    if (chosen) {
      await this.requireAnswering(
        site,
        chosen,
        'the cluster chosen for kernels'
      );
      return chosen.name;
    }
    const silent = new Map<string, string>();
    await Promise.all(
      running
        .filter(c => c.status === 'RUNNING')
        .map(async c => {
          const why = await this.options.liveness.check(site, c.name);
          if (why) {
            silent.set(c.name, why.reason);
          }
        })
    );
    const answering = running.filter(c => !silent.has(c.name));
    if (answering.length === 1) {
      return answering[0].name;
    }
    if (answering.length > 1) {
      const list = answering
        .map(c => `${c.displayName} (${c.name})`)
        .join(', ');
      throw new SitesError(
        'ambiguous-cluster',
        `${site}: ${answering.length} clusters run (${list}); choose one for kernels in the Dask Sites panel`
      );
    }
    const dead = running.find(c => silent.has(c.name));
    if (dead && !mayCreate) {
      throw this.unreachable(site, dead, silent.get(dead.name)!, 'its cluster');
    }
    return undefined;
  }

  /** Throw `cluster-unreachable` unless the (running) cluster's scheduler answers. */
  private async requireAnswering(
    site: string,
    cluster: IClusterInfo,
    what: string
  ): Promise<void> {
    if (cluster.status !== 'RUNNING') {
      return; // pending: waited for; stopped: the gateway says so
    }
    const why = await this.options.liveness.check(site, cluster.name);
    if (why) {
      throw this.unreachable(site, cluster, why.reason, what);
    }
  }

  private unreachable(
    site: string,
    cluster: IClusterInfo,
    reason: string,
    what: string
  ): SitesError {
    return new SitesError(
      'cluster-unreachable',
      `${site}: ${what}, ${cluster.displayName} (${cluster.name}), is listed as running ` +
        `but its scheduler does not answer (${reason}); it has probably stopped. Stop it in ` +
        'the Dask Sites panel and start a new one' +
        (this.options.autoCreateCluster
          ? '.'
          : ', or let kernels create one (c.DaskSites.auto_create_cluster = True).')
    );
  }
}
