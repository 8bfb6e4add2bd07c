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
 * `jupyter_ext_server/server/kernel_watch.py`), with an id of its own.
 * Stopping a cluster someone still uses would lose their work, so the rules
 * lean to keeping it:
 *
 * - an owner this server never reported (a kernel started elsewhere, or by
 *   another server sharing the state file) never ends;
 * - an owner whose pid never matched the server's (a kernel started through
 *   a wrapper: `conda run`, a shell script) is matched by its id alone, so
 *   only its shutdown ends it, not a restart;
 * - a kernel that does not name itself and uses such a cluster makes it the
 *   user's (it is never stopped this way);
 * - nothing is stopped before the server first said which kernels run.
 *
 * Owners are kept in the state file, so a sidecar restart does not forget them.
 */
import type { IClusterForKernels } from '../../protocol';
import type { IKernelOwner, StateFile } from '../state/state-file';

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
  /** `<kernel id>/<pid>` → what the server told of it. */
  owners: Map<string, Omit<IKernelOwner, 'kernel'>>;
  /** When its last owner was found gone. */
  orphanedAt?: number;
  stopping?: boolean;
  /** The last failure to stop it, logged once. */
  failure?: string;
}

export class KernelOwners {
  /** site → cluster → its owners. */
  private readonly clusters = new Map<string, Map<string, IOwned>>();
  /** The server that last said which kernels run, and what it said. */
  private server: string | undefined;
  private running: Set<string> | undefined;
  /** Their kernel ids. */
  private runningIds = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: IKernelOwnersOptions) {
    this.now = options.now ?? Date.now;
    const saved = options.state.state.kernelClusters;
    for (const [site, clusters] of Object.entries(saved)) {
      for (const [cluster, owners] of Object.entries(clusters)) {
        this.site(site).set(cluster, {
          owners: new Map(owners.map(({ kernel, ...told }) => [kernel, told]))
        });
      }
    }
  }

  /** The sidecar made `cluster` for the kernel `owner`. */
  created(site: string, cluster: string, owner: string | undefined): void {
    if (!owner || this.options.mode === 'keep') {
      return; // a kernel that did not say who it is: nothing ends it but the user
    }
    const owned: IOwned = { owners: new Map([[owner, {}]]) };
    this.site(site).set(cluster, owned);
    this.learn(owned);
    this.saveAndShow(site);
  }

  /** A kernel was given `cluster`: if it was made for kernels, it is this one's too. */
  used(site: string, cluster: string, owner: string | undefined): void {
    const owned = this.clusters.get(site)?.get(cluster);
    if (!owned || (owner && owned.owners.has(owner))) {
      return;
    }
    if (!owner) {
      this.release(site, cluster); // a kernel we cannot watch uses it: never stop it
      return;
    }
    owned.owners.set(owner, {});
    this.learn(owned);
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

  /** Server `server`'s word on which kernels run (`<kernel id>/<pid>` or `<kernel id>/*`). */
  kernelsRunning(server: string, kernels: readonly string[]): void {
    this.server = server;
    this.running = new Set(kernels);
    this.runningIds = new Set(kernels.map(idOf));
    for (const [site, owned] of this.clusters) {
      let learnt = false;
      for (const cluster of owned.values()) {
        learnt = this.learn(cluster) || learnt;
        const alive = [...cluster.owners].some(([kernel, told]) =>
          this.isRunning(kernel, told)
        );
        if (alive) {
          delete cluster.orphanedAt;
        } else if (cluster.orphanedAt === undefined) {
          cluster.orphanedAt = this.now();
        }
      }
      if (learnt) {
        this.saveAndShow(site);
      } else if (owned.size) {
        this.options.changed(site); // the count of kernels shown may have changed
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
        state.stopping = true; // kernels asking meanwhile are not given it
        try {
          await this.options.stop(site, cluster);
          this.options.log(
            `sidecar: stopped cluster ${cluster} at ${site}: the kernels it was made for ` +
              'have ended (c.DaskSites.kernel_clusters)'
          );
          this.release(site, cluster);
        } catch (err) {
          // Not logged in, site down: tried again on the next round, said once.
          const message = (err as Error).message;
          if (state.failure !== message) {
            state.failure = message;
            this.options.log(
              `sidecar: could not stop kernel cluster ${cluster} at ${site} yet: ${message}`
            );
          }
          state.stopping = false;
        }
      }
    }
  }

  /** Is a cluster being stopped (it must not be handed to a kernel now)? */
  stopping(site: string, cluster: string): boolean {
    return this.clusters.get(site)?.get(cluster)?.stopping === true;
  }

  /** What the panel shows of a cluster made for kernels. */
  info(site: string, cluster: string): IClusterForKernels | undefined {
    const owned = this.clusters.get(site)?.get(cluster);
    if (!owned) {
      return undefined;
    }
    const kernels = [...owned.owners].filter(([kernel, told]) =>
      this.isRunning(kernel, told)
    ).length;
    return {
      kernels,
      ...(owned.orphanedAt !== undefined
        ? { stopsAt: owned.orphanedAt + this.options.graceMs }
        : {})
    };
  }

  /** What the last report says of a cluster's owners; true when something was learnt. */
  private learn(owned: IOwned): boolean {
    if (!this.running || !this.server) {
      return false;
    }
    let learnt = false;
    for (const [kernel, told] of owned.owners) {
      const reported = this.runningIds.has(idOf(kernel));
      if (reported && told.seenBy === undefined) {
        told.seenBy = this.server;
        learnt = true;
      }
      if (this.running.has(kernel) && !told.confirmed) {
        told.confirmed = true;
        learnt = true;
      }
    }
    return learnt;
  }

  private isRunning(
    kernel: string,
    told: Omit<IKernelOwner, 'kernel'>
  ): boolean {
    if (!this.running || told.seenBy !== this.server) {
      return true; // not told yet, or not this server's kernel: not ours to end
    }
    const id = idOf(kernel);
    if (this.running.has(kernel) || this.running.has(`${id}/*`)) {
      return true;
    }
    // Its pid never matched (a wrapper started it): the id alone decides.
    return !told.confirmed && this.runningIds.has(id);
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
    const document: { [cluster: string]: IKernelOwner[] } = {};
    for (const [cluster, owned] of this.clusters.get(site) ?? []) {
      document[cluster] = [...owned.owners].map(([kernel, told]) => ({
        kernel,
        ...told
      }));
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

function idOf(kernel: string): string {
  return kernel.split('/')[0];
}
