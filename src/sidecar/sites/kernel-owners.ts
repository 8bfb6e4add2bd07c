/**
 * Clusters made for kernels end with them. A cluster the sidecar creates
 * because a kernel needed one (`c.DaskSites.auto_create_cluster`) belongs to
 * the kernels that use it; once none of them runs any more (shut down,
 * restarted, killed), it is stopped after a grace period, unless the setting
 * is `keep`. Clusters started from the panel, or chosen for kernels there,
 * are never stopped this way.
 *
 * A kernel is named `<kernel id>/<pid>`: a restart keeps the id but not the
 * process, so a restarted kernel is a new owner. Which kernels run is told
 * by the Jupyter server (it sees kernels end, whatever killed them:
 * `jupyter_ext_server/server/kernel_watch.py`); until it first tells, no
 * cluster is stopped. Owners are kept in the state file, so a sidecar
 * restart does not orphan or forget them.
 */
import type { IClusterForKernels } from '../../protocol';
import type { StateFile } from '../state/state-file';

export interface IKernelOwnersOptions {
  state: Pick<StateFile, 'state' | 'update'>;
  /** Stop a cluster (as the user's Stop button does). */
  stop: (site: string, cluster: string) => Promise<void>;
  /** Something about a kernel's cluster changed (the panel shows it). */
  changed: (site: string) => void;
  mode: 'stop-with-kernel' | 'keep';
  graceMs: number;
  now?: () => number;
  log: (line: string) => void;
}

interface IOwned {
  owners: Set<string>;
  /** When its last owner was found gone. */
  orphanedAt?: number;
  stopping?: boolean;
}

export class KernelOwners {
  /** site → cluster → its owners. */
  private readonly clusters = new Map<string, Map<string, IOwned>>();
  /** The kernels the server last said run; undefined until it first says. */
  private running: Set<string> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: IKernelOwnersOptions) {
    this.now = options.now ?? Date.now;
    const saved = options.state.state.kernelClusters;
    for (const [site, clusters] of Object.entries(saved)) {
      for (const [cluster, owners] of Object.entries(clusters)) {
        this.site(site).set(cluster, { owners: new Set(owners) });
      }
    }
  }

  /** The sidecar made `cluster` for the kernel `owner`. */
  created(site: string, cluster: string, owner: string | undefined): void {
    if (!owner) {
      return; // a kernel that did not say who it is: nothing ends it but the user
    }
    this.site(site).set(cluster, { owners: new Set([owner]) });
    this.saveAndShow(site);
  }

  /** A kernel was given `cluster`: if it was made for kernels, it is this one's too. */
  used(site: string, cluster: string, owner: string | undefined): void {
    const owned = this.clusters.get(site)?.get(cluster);
    if (!owner || !owned || owned.owners.has(owner)) {
      return;
    }
    owned.owners.add(owner);
    delete owned.orphanedAt;
    this.saveAndShow(site);
  }

  /** The user took charge of it (chose it for kernels, or stopped it), or it is gone. */
  release(site: string, cluster: string): void {
    if (this.clusters.get(site)?.delete(cluster)) {
      this.saveAndShow(site);
    }
  }

  /** Forget the site's clusters that are no longer listed. */
  prune(site: string, listed: readonly string[]): void {
    const owned = this.clusters.get(site);
    const keep = new Set(listed);
    for (const cluster of [...(owned?.keys() ?? [])]) {
      if (!keep.has(cluster)) {
        this.release(site, cluster);
      }
    }
  }

  /** The server's word on which kernels run (`<kernel id>/<pid>` or `<kernel id>/*`). */
  kernelsRunning(kernels: readonly string[]): void {
    const before = this.running;
    this.running = new Set(kernels);
    if (before && sameSet(before, this.running)) {
      return;
    }
    for (const [site, owned] of this.clusters) {
      for (const cluster of owned.values()) {
        const alive = [...cluster.owners].some(owner => this.isRunning(owner));
        if (alive) {
          delete cluster.orphanedAt;
        } else if (cluster.orphanedAt === undefined) {
          cluster.orphanedAt = this.now();
        }
      }
      if (owned.size) {
        this.options.changed(site); // the count of kernels shown changed too
      }
    }
  }

  /** Stop what was orphaned longer than the grace period (called now and then). */
  async stopOrphans(): Promise<void> {
    if (this.options.mode === 'keep') {
      return;
    }
    const due = this.now() - this.options.graceMs;
    for (const [site, owned] of this.clusters) {
      for (const [cluster, state] of owned) {
        if (
          state.orphanedAt === undefined ||
          state.orphanedAt > due ||
          state.stopping
        ) {
          continue;
        }
        state.stopping = true;
        try {
          await this.options.stop(site, cluster);
          this.options.log(
            `sidecar: stopped cluster ${cluster} at ${site}: the kernels it was made for ` +
              'have ended (c.DaskSites.kernel_clusters)'
          );
          this.release(site, cluster);
        } catch (err) {
          // Not logged in, site down: tried again on the next round.
          this.options.log(
            `sidecar: could not stop kernel cluster ${cluster} at ${site} yet: ${(err as Error).message}`
          );
          state.stopping = false;
        }
      }
    }
  }

  /** What the panel shows of a cluster made for kernels. */
  info(site: string, cluster: string): IClusterForKernels | undefined {
    const owned = this.clusters.get(site)?.get(cluster);
    if (!owned) {
      return undefined;
    }
    const kernels = this.running
      ? [...owned.owners].filter(owner => this.isRunning(owner)).length
      : owned.owners.size;
    return {
      kernels,
      ...(owned.orphanedAt !== undefined && this.options.mode !== 'keep'
        ? { stopsAt: owned.orphanedAt + this.options.graceMs }
        : {})
    };
  }

  private isRunning(owner: string): boolean {
    if (!this.running) {
      return true; // not told yet: assume so
    }
    const id = owner.split('/')[0];
    return this.running.has(owner) || this.running.has(`${id}/*`);
  }

  private site(site: string): Map<string, IOwned> {
    let owned = this.clusters.get(site);
    if (!owned) {
      owned = new Map();
      this.clusters.set(site, owned);
    }
    return owned;
  }

  private saveAndShow(site: string): void {
    const document: { [cluster: string]: string[] } = {};
    for (const [cluster, owned] of this.clusters.get(site) ?? []) {
      document[cluster] = [...owned.owners];
    }
    this.options.state
      .update(state => {
        if (Object.keys(document).length) {
          state.kernelClusters[site] = document;
        } else {
          delete state.kernelClusters[site];
        }
      })
      .catch(err =>
        this.options.log(
          `sidecar: could not save the state file: ${(err as Error).message}`
        )
      );
    this.options.changed(site);
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every(item => b.has(item));
}
