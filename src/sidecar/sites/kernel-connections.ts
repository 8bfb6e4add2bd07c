/**
 * Which cluster of a site a kernel gets, and its connection: the one chosen
 * in the panel, else the only one running, else (when allowed) a new one
 * made for the kernel. This is the only way a cluster's TLS key leaves the
 * sidecar, and only to a kernel (the route takes the kernel secret only).
 */
import type { IKernelConnection } from '../../protocol';
import type { SessionManager } from '../auth';
import type { ClusterOperations } from './cluster-operations';
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
  /** Base path of the sidecar under the Jupyter server, e.g. `/user/alice/dask-sites/`. */
  basePath: string;
  autoCreateCluster: boolean;
}

export class KernelConnections {
  constructor(private readonly options: IKernelConnectionsOptions) {}

  async connection(
    site: string,
    cluster?: string,
    create = false
  ): Promise<IKernelConnection> {
    const entry = this.options.states.entry(site);
    let name = cluster ?? (await this.clusterFor(entry));
    let created = false;
    if (!name) {
      if (!create || !this.options.autoCreateCluster) {
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

  /** The chosen cluster if it runs, else the only one running; several without a choice is an error. */
  private async clusterFor(entry: ISiteEntry): Promise<string | undefined> {
    const site = entry.config.name;
    // Not logged in says so (a listing without a login would just look empty).
    await this.options.sessions.authorizationHeader(site);
    await this.options.refresher.refresh([site], 0);
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
        `${site}: ${running.length} clusters run (${list}); choose one for kernels in the Dask Sites panel`
      );
    }
    return undefined;
  }
}
