/**
 * What a logout or a restart must not hide: the clusters a site last
 * listed, and who was logged in where. Clusters keep running when the
 * sidecar forgets its login (a logout, a restart without a kept refresh
 * token), so the panel keeps showing them "as last seen" until a fresh list
 * replaces them, and says why it asks for a login again. Kept in the state
 * file: cluster names, statuses and start times, user names; never a token
 * or a key.
 */
import type { IClusterInfo, ISiteState } from '../../protocol';
import { isUp, type DisplayNames } from '../gateway';
import type { IKnownClusters, StateFile } from '../state/state-file';

/** Shown when a restart lost a login that was not kept. */
export const RESTARTED =
  'Dask Sites restarted and did not keep this login; log in again';

export class KnownClusters {
  constructor(
    private readonly state: Pick<StateFile, 'state' | 'update'>,
    private readonly names: Pick<DisplayNames, 'get'>,
    private readonly log: (line: string) => void
  ) {}

  /** The clusters last listed at `site` (still running then), for a state with no fresh list. */
  restore(site: string): Pick<ISiteState, 'clusters' | 'clustersAsOf'> {
    const known = this.state.state.knownClusters[site];
    if (!known?.clusters.length) {
      return { clusters: [] };
    }
    return {
      clusters: known.clusters.map(c => ({
        name: c.name,
        displayName: this.names.get(site, c.name),
        status: c.status,
        ...(c.startTime ? { startTime: c.startTime } : {}),
        options: {}
      })),
      clustersAsOf: known.asOf
    };
  }

  /** A fresh list of `site`: kept if its running clusters changed. */
  remember(site: string, clusters: readonly IClusterInfo[], at: number): void {
    const running: IKnownClusters['clusters'] = [];
    for (const c of clusters) {
      const status = c.status;
      if (isUp(status)) {
        running.push({
          name: c.name,
          status,
          ...(c.startTime ? { startTime: c.startTime } : {})
        });
      }
    }
    const before = this.state.state.knownClusters[site]?.clusters ?? [];
    if (JSON.stringify(before) === JSON.stringify(running)) {
      return;
    }
    this.save(document => {
      if (running.length) {
        document.knownClusters[site] = { asOf: at, clusters: running };
      } else {
        delete document.knownClusters[site];
      }
    });
  }

  /** Was someone logged in with this login before the sidecar started? */
  wasLoggedIn(loginKey: string): boolean {
    return loginKey in this.state.state.loggedIn;
  }

  /** A login started (`user`) or ended by the user (`undefined`). */
  loginChanged(loginKey: string, user: string | undefined): void {
    if (this.state.state.loggedIn[loginKey] === user) {
      return;
    }
    this.save(document => {
      if (user === undefined) {
        delete document.loggedIn[loginKey];
      } else {
        document.loggedIn[loginKey] = user;
      }
    });
  }

  private save(change: Parameters<StateFile['update']>[0]): void {
    this.state
      .update(change)
      .catch(err =>
        this.log(
          `sidecar: could not save the state file: ${(err as Error).message}`
        )
      );
  }
}
