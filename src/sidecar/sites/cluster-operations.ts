/**
 * What users do with a site's clusters: list, create (with the site's
 * `cluster_defaults`), rename, scale, adapt, stop, and choose the one
 * kernels use. Each operation goes to the site's gateway and then puts the
 * answer into the site's state, so the panel sees it at once.
 */
import type {
  IClusterInfo,
  IClusterOptionSpec,
  ICreateClusterRequest,
  IScaleResponse,
  ISiteState
} from '../../protocol';
import type { SessionManager } from '../auth';
import type { DisplayNames, IScaleResult } from '../gateway';
import type { LiveWatcher } from '../live';
import type { StateFile } from '../state/state-file';
import { SitesError } from './errors';
import type { SiteRefresher } from './site-refresher';
import type { ISiteEntry, SiteStates } from './site-states';

export interface IClusterOperationsOptions {
  states: SiteStates;
  refresher: SiteRefresher;
  sessions: Pick<SessionManager, 'authorizationHeader'>;
  names: Pick<DisplayNames, 'get' | 'set'>;
  state: Pick<StateFile, 'update'>;
  watcher: Pick<LiveWatcher, 'forget' | 'pollNow'>;
  log: (line: string) => void;
}

export class ClusterOperations {
  constructor(private readonly deps: IClusterOperationsOptions) {}

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
    await this.deps.refresher.refresh([site], 0);
    const login = entry.state.login.status;
    if (login !== 'logged-in' && login !== 'not-required') {
      await this.deps.sessions.authorizationHeader(site); // throws LoginNeededError
    }
    if (entry.state.error) {
      throw new SitesError('site-error', entry.state.error);
    }
    return structuredClone(entry.state.clusters);
  }

  async create(
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
    this.deps.states.upsertCluster(entry, info);
    if (request.wait) {
      info = await entry.gateway.waitUntilRunning(name, {
        onProgress: progress => this.deps.states.upsertCluster(entry, progress)
      });
      this.deps.states.upsertCluster(entry, info);
    }
    return info;
  }

  async rename(
    site: string,
    cluster: string,
    displayName: string
  ): Promise<IClusterInfo> {
    const entry = this.entry(site);
    const info = await entry.gateway.get(cluster); // it must exist and be the user's
    this.deps.names.set(site, cluster, displayName);
    const renamed = {
      ...info,
      displayName: this.deps.names.get(site, cluster)
    };
    this.deps.states.upsertCluster(entry, renamed);
    return renamed;
  }

  async scale(
    site: string,
    cluster: string,
    count: number
  ): Promise<IScaleResponse> {
    const entry = this.entry(site);
    const result = await entry.gateway.scale(cluster, count);
    return this.scaled(entry, cluster, result);
  }

  async adapt(
    site: string,
    cluster: string,
    minimum: number,
    maximum: number
  ): Promise<IScaleResponse> {
    const entry = this.entry(site);
    const result = await entry.gateway.adapt(cluster, minimum, maximum);
    return this.scaled(entry, cluster, result);
  }

  /** The cluster after a scale or adapt, saying when the site capped the request. */
  private async scaled(
    entry: ISiteEntry,
    cluster: string,
    result: IScaleResult
  ): Promise<IScaleResponse> {
    // A copy: the site's state keeps the cluster, not this answer's notice.
    const info: IScaleResponse = { ...(await this.reload(entry, cluster)) };
    if (!result.ok) {
      info.limited = {
        ...(result.maximum !== undefined ? { maximum: result.maximum } : {}),
        message: result.message ?? 'the gateway changed the request'
      };
      this.deps.log(
        `sidecar: ${entry.config.name}: scale of ${cluster} capped: ${info.limited.message}`
      );
    }
    return info;
  }

  async stop(site: string, cluster: string): Promise<void> {
    const entry = this.entry(site);
    await entry.gateway.stop(cluster);
    this.deps.watcher.forget(site, cluster);
    if (entry.state.chosenCluster === cluster) {
      await this.choose(site, null);
    }
    await this.deps.refresher.refresh([site], 0);
  }

  /** The cluster kernels use at `site` (`null`: none chosen), kept in the state file. */
  async choose(site: string, cluster: string | null): Promise<ISiteState> {
    const entry = this.entry(site);
    if (cluster) {
      await entry.gateway.get(cluster); // must exist and be the user's
      entry.state.chosenCluster = cluster;
    } else {
      delete entry.state.chosenCluster;
    }
    await this.deps.state.update(state => {
      if (cluster) {
        state.chosenClusters[site] = cluster;
      } else {
        delete state.chosenClusters[site];
      }
    });
    this.deps.states.changed([site]);
    return this.deps.states.snapshot(site);
  }

  private entry(site: string): ISiteEntry {
    return this.deps.states.entry(site);
  }

  private async reload(
    entry: ISiteEntry,
    cluster: string
  ): Promise<IClusterInfo> {
    const info = await entry.gateway.get(cluster);
    this.deps.states.upsertCluster(entry, info);
    void this.deps.watcher.pollNow();
    return info;
  }
}
