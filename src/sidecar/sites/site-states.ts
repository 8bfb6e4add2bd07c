/**
 * The state of every configured site, as the browser and kernels see it
 * (login, reachability, clusters, the cluster kernels use), with what the
 * sidecar needs to keep it current: the site's gateway client, its
 * scheduler figures reader and when it was last refreshed.
 *
 * One `SiteStates` holds them all and says when a site's state changed; the
 * other parts of `sites/` change the states through it.
 */
import {
  isUp,
  type IClusterInfo,
  type ISiteConfig,
  type ISiteState,
  type LoginState
} from '../../protocol';
import type { GatewayClient } from '../gateway';
import type { SchedulerMetrics } from '../live';
import { quoted } from '../errors';
import { SitesError } from './errors';

/** What the sites layer uses of a site's gateway client (tests give a fake). */
export type ISiteGateway = Pick<
  GatewayClient,
  | 'health'
  | 'list'
  | 'options'
  | 'get'
  | 'create'
  | 'waitUntilRunning'
  | 'scale'
  | 'adapt'
  | 'stop'
  | 'connectionInfo'
>;

/** What the sites layer uses of the scheduler figures reader. */
export type ISiteMetrics = Pick<
  SchedulerMetrics,
  'fetch' | 'forget' | 'ping' | 'plotList'
>;

export interface ISiteEntry {
  config: ISiteConfig;
  gateway: ISiteGateway;
  metrics: ISiteMetrics;
  state: ISiteState;
  /** When the cluster list was last refreshed (ms). */
  refreshedAt: number;
  /** The latest refresh, running or queued behind an older one. */
  refreshing?: Promise<void>;
  /** When that refresh began asking the gateway; undefined while it is queued. */
  refreshStartedAt?: number;
}

/** A site's state before anything is known: from the registry and the stored choices. */
export function initialState(
  config: ISiteConfig,
  loginKey: string,
  login: LoginState,
  chosenCluster: string | undefined
): ISiteState {
  return {
    name: config.name,
    label: config.label,
    ...(config.colour ? { colour: config.colour } : {}),
    loginKey,
    ...(config.data ? { data: config.data } : {}),
    login,
    reachability: { status: 'unknown' },
    clusters: [],
    ...(chosenCluster ? { chosenCluster } : {})
  };
}

export class SiteStates {
  private readonly entries = new Map<string, ISiteEntry>();
  private readonly listeners = new Set<(sites: string[]) => void>();

  add(entry: ISiteEntry): void {
    this.entries.set(entry.config.name, entry);
  }

  has(site: string): boolean {
    return this.entries.has(site);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The entry of a configured site; `unknown-site` names the known ones. */
  entry(site: string): ISiteEntry {
    const entry = this.entries.get(site);
    if (!entry) {
      const known = this.names().join(', ') || 'none';
      throw new SitesError(
        'unknown-site',
        `unknown site ${quoted(site)}; known sites: ${known}`
      );
    }
    return entry;
  }

  /** The entry, or undefined for a name the registry does not have. */
  find(site: string): ISiteEntry | undefined {
    return this.entries.get(site);
  }

  /** Copies: callers cannot change the states behind the listeners' backs. */
  snapshot(site: string): ISiteState {
    return structuredClone(this.entry(site).state);
  }

  snapshots(): ISiteState[] {
    return [...this.entries.values()].map(e => structuredClone(e.state));
  }

  /** Put a cluster's new info in its site's list, keeping the live figures it had. */
  upsertCluster(entry: ISiteEntry, info: IClusterInfo): void {
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

  onChange(listener: (sites: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(sites: string[]): void {
    for (const listener of this.listeners) {
      listener(sites);
    }
  }
}

/** A site's state for change detection: when it was last checked is no change. */
/**
 * Without a login the list cannot be refreshed, but its clusters keep
 * running: keep showing those that ran, as last seen at the last refresh
 * (or `now`), without figures.
 */
export function keepAsLastSeen(entry: ISiteEntry, now: number): void {
  const state = entry.state;
  if (state.clustersAsOf !== undefined) {
    return;
  }
  state.clusters = state.clusters
    .filter(c => isUp(c.status))
    .map(({ live: _live, unreachable: _unreachable, ...rest }) => rest);
  if (state.clusters.length) {
    state.clustersAsOf = entry.refreshedAt || now;
  }
}

export function comparable(state: ISiteState): string {
  return JSON.stringify({
    ...state,
    reachability: { ...state.reachability, checkedAt: undefined }
  });
}
