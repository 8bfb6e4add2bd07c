/**
 * Bringing sites' reachability and cluster lists up to date, without asking
 * a gateway more than needed: concurrent callers share a refresh, an answer
 * younger than the caller's limit is reused, and a refresh that began before
 * a change the caller made is followed by a new one instead of being joined.
 */
import type { IClusterInfo, IClusterLive } from '../../protocol';
import { LoginNeededError } from '../auth';
import type { DisplayNames } from '../gateway';
import { comparable, type ISiteEntry, type SiteStates } from './site-states';

/** Lists older than this are refreshed before an answer. */
export const FRESH_MS = 2_000;

export interface ISiteRefresherOptions {
  states: SiteStates;
  names: Pick<DisplayNames, 'prune'>;
  /** The live figures already known for a cluster (kept across a refresh). */
  liveOf: (site: string, cluster: string) => IClusterLive | undefined;
  /** Add what the sidecar knows of a listed cluster beyond the gateway's answer. */
  decorate?: (site: string, cluster: IClusterInfo) => void;
  /** A site's clusters were listed afresh (what is known of others can go). */
  listed?: (site: string, clusters: readonly IClusterInfo[]) => void;
  now?: () => number;
}

export class SiteRefresher {
  private readonly now: () => number;

  constructor(private readonly options: ISiteRefresherOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Refresh the given sites (all by default), concurrently. An answer at
   * most `maxAgeMs` old is good enough.
   */
  async refresh(names?: string[], maxAgeMs = FRESH_MS): Promise<void> {
    const { states } = this.options;
    const since = this.now() - maxAgeMs;
    await Promise.all(
      (names ?? states.names()).map(name => {
        const entry = states.find(name);
        if (!entry || entry.refreshedAt > since) {
          return undefined;
        }
        const started = entry.refreshStartedAt;
        if (entry.refreshing && (started === undefined || started >= since)) {
          return entry.refreshing; // running recently enough, or not started yet
        }
        return this.queue(entry);
      })
    );
  }

  /** A new refresh of `entry`, after the one running (if any). */
  private queue(entry: ISiteEntry): Promise<void> {
    const previous = entry.refreshing ?? Promise.resolve();
    entry.refreshStartedAt = undefined;
    const run: Promise<void> = previous
      .catch(() => undefined)
      .then(() => {
        entry.refreshStartedAt = this.now();
        return this.refreshSite(entry);
      })
      .finally(() => {
        if (entry.refreshing === run) {
          entry.refreshing = undefined;
        }
      });
    entry.refreshing = run;
    return run;
  }

  /** Ask one site's gateway: is it up, and (when we may) which clusters run. */
  private async refreshSite(entry: ISiteEntry): Promise<void> {
    const name = entry.config.name;
    const state = entry.state;
    const before = comparable(state);
    try {
      const { version } = await entry.gateway.health();
      state.reachability = { status: 'up', version, checkedAt: this.now() };
    } catch (err) {
      state.reachability = {
        status: 'down',
        error: (err as Error).message,
        checkedAt: this.now()
      };
    }
    const login = state.login.status;
    if (
      state.reachability.status === 'up' &&
      (login === 'logged-in' || login === 'not-required')
    ) {
      try {
        const clusters = await entry.gateway.list();
        this.options.listed?.(name, clusters);
        for (const cluster of clusters) {
          const live = this.options.liveOf(name, cluster.name);
          if (live) {
            cluster.live = live;
          }
          this.options.decorate?.(name, cluster);
        }
        state.clusters = clusters;
        delete state.clustersAsOf; // a fresh list replaces the one last seen
        delete state.error;
        // Forget names of clusters the gateway no longer reports.
        this.options.names.prune(
          name,
          clusters.map(c => c.name)
        );
      } catch (err) {
        if (err instanceof LoginNeededError) {
          delete state.error; // the login state says it all
        } else {
          state.error = (err as Error).message;
        }
      }
    } else if (state.reachability.status === 'down') {
      state.error = state.reachability.error;
    }
    entry.refreshedAt = this.now();
    if (comparable(state) !== before) {
      this.options.states.changed([name]);
    }
  }
}
