/**
 * Polls live figures of running clusters, only for sites someone watches.
 *
 * Each browser connection says which sites its panel shows (`LiveRequest`
 * `watch`); the watcher counts subscribers per site and polls a site's
 * running clusters every `intervalMs` while the count is above zero. With
 * no subscribers nothing is polled and no timer runs. Fetches share one
 * concurrency limit; a cluster still being fetched is skipped, not queued
 * twice; one cluster's failure does not affect the others.
 *
 * Updates are reported only when figures change (`updatedAt` ignored,
 * memory noise below a threshold too: see `sameFigures`), and errors only
 * when they start or their message changes.
 */
import type { IClusterLive } from '../../protocol';

export interface ILiveWatcherOptions {
  /** The running clusters of a site to poll (the sidecar's state knows them). */
  clusters: (site: string) => readonly string[] | Promise<readonly string[]>;
  /** One cluster's figures, e.g. `SchedulerMetrics.fetch`. Honour the signal. */
  fetch: (
    site: string,
    cluster: string,
    signal: AbortSignal
  ) => Promise<IClusterLive>;
  /** New figures for a cluster. */
  onUpdate: (site: string, cluster: string, live: IClusterLive) => void;
  /**
   * Fetching a cluster's figures failed (first failure or a new message).
   * `cluster` is `undefined` when listing the site's clusters failed.
   */
  onError?: (site: string, cluster: string | undefined, error: unknown) => void;
  /** A cluster left the site's running set, or its site is no longer watched. */
  onForget?: (site: string, cluster: string) => void;
  /** Default 2000 ms. */
  intervalMs?: number;
  /** Fetches in flight at most, over all sites (default 4). */
  concurrency?: number;
}

/** One browser connection's set of watched sites. */
export interface ILiveSubscription {
  /** Replace the set of watched sites. */
  set(sites: readonly string[]): void;
  /** Unwatch everything (the connection closed). */
  close(): void;
}

interface IClusterState {
  last?: IClusterLive;
  error?: string;
  inFlight?: AbortController;
}

export class LiveWatcher {
  private readonly options: ILiveWatcherOptions;
  private readonly intervalMs: number;
  private readonly limiter: Limiter;
  private readonly counts = new Map<string, number>();
  /** site → cluster → state. */
  private readonly state = new Map<string, Map<string, IClusterState>>();
  /** site → last error of listing its clusters. */
  private readonly listErrors = new Map<string, string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(options: ILiveWatcherOptions) {
    this.options = options;
    this.intervalMs = Math.max(100, options.intervalMs ?? 2_000);
    this.limiter = new Limiter(Math.max(1, options.concurrency ?? 4));
  }

  /** Add a subscriber to a site; returns the (idempotent) function that removes it. */
  watch(site: string): () => void {
    if (this.stopped) {
      return () => undefined;
    }
    const before = this.counts.get(site) ?? 0;
    this.counts.set(site, before + 1);
    if (before === 0) {
      this.schedule(0);
    }
    let done = false;
    return () => {
      if (done) {
        return;
      }
      done = true;
      this.unwatch(site);
    };
  }

  /** A subscription for one connection: `set()` it on every `watch` request, `close()` it at the end. */
  subscription(): ILiveSubscription {
    const active = new Map<string, () => void>();
    return {
      set: sites => {
        const wanted = new Set(sites);
        for (const [site, release] of active) {
          if (!wanted.has(site)) {
            release();
            active.delete(site);
          }
        }
        for (const site of wanted) {
          if (!active.has(site)) {
            active.set(site, this.watch(site));
          }
        }
      },
      close: () => {
        for (const release of active.values()) {
          release();
        }
        active.clear();
      }
    };
  }

  subscribers(site: string): number {
    return this.counts.get(site) ?? 0;
  }

  watchedSites(): string[] {
    return [...this.counts.keys()];
  }

  /** The last figures seen for a cluster, if it is being watched. */
  current(site: string, cluster: string): IClusterLive | undefined {
    return this.state.get(site)?.get(cluster)?.last;
  }

  /**
   * Poll the watched sites now (e.g. right after a scale) instead of at the
   * next tick; resolves when this round's fetches are done.
   */
  async pollNow(): Promise<void> {
    if (this.stopped || !this.counts.size) {
      return;
    }
    this.schedule(this.intervalMs);
    await this.round();
  }

  /** Forget a cluster's figures (e.g. it was stopped), so the next figures are reported. */
  forget(site: string, cluster: string): void {
    const perSite = this.state.get(site);
    const entry = perSite?.get(cluster);
    if (perSite && entry) {
      entry.inFlight?.abort();
      perSite.delete(cluster);
      this.options.onForget?.(site, cluster);
    }
  }

  /** Stop polling for good. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
    for (const site of [...this.state.keys()]) {
      this.dropSite(site);
    }
    this.counts.clear();
  }

  private unwatch(site: string): void {
    const count = (this.counts.get(site) ?? 0) - 1;
    if (count > 0) {
      this.counts.set(site, count);
      return;
    }
    this.counts.delete(site);
    this.dropSite(site);
    if (!this.counts.size) {
      this.clearTimer();
    }
  }

  private dropSite(site: string): void {
    this.listErrors.delete(site);
    const perSite = this.state.get(site);
    if (!perSite) {
      return;
    }
    this.state.delete(site);
    for (const [cluster, entry] of perSite) {
      entry.inFlight?.abort();
      this.options.onForget?.(site, cluster);
    }
  }

  private schedule(delay: number): void {
    this.clearTimer();
    if (this.stopped || !this.counts.size) {
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // The next tick is due one interval after this one started, however
      // long this one's fetches take (slow clusters are skipped meanwhile).
      this.schedule(this.intervalMs);
      void this.round();
    }, delay);
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** One polling round over all watched sites. Never rejects. */
  private async round(): Promise<void> {
    const sites = [...this.counts.keys()];
    await Promise.all(sites.map(site => this.pollSite(site)));
  }

  private async pollSite(site: string): Promise<void> {
    let clusters: readonly string[];
    try {
      clusters = await this.options.clusters(site);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.counts.has(site) && this.listErrors.get(site) !== message) {
        this.listErrors.set(site, message);
        this.report(() => this.options.onError?.(site, undefined, err));
      }
      return;
    }
    if (!this.counts.has(site)) {
      return; // unwatched meanwhile
    }
    this.listErrors.delete(site);
    let perSite = this.state.get(site);
    if (!perSite) {
      perSite = new Map();
      this.state.set(site, perSite);
    }
    const running = new Set(clusters);
    for (const cluster of [...perSite.keys()]) {
      if (!running.has(cluster)) {
        this.forget(site, cluster);
      }
    }
    const jobs: Promise<void>[] = [];
    for (const cluster of running) {
      let entry = perSite.get(cluster);
      if (!entry) {
        entry = {};
        perSite.set(cluster, entry);
      }
      if (entry.inFlight) {
        continue; // still fetching from the last round
      }
      jobs.push(this.pollCluster(site, cluster, entry));
    }
    await Promise.all(jobs);
  }

  private async pollCluster(
    site: string,
    cluster: string,
    entry: IClusterState
  ): Promise<void> {
    const controller = new AbortController();
    entry.inFlight = controller;
    try {
      const live = await this.limiter.run(() => {
        if (controller.signal.aborted) {
          throw controller.signal.reason;
        }
        return this.options.fetch(site, cluster, controller.signal);
      });
      if (controller.signal.aborted || !this.isCurrent(site, cluster, entry)) {
        return;
      }
      entry.error = undefined;
      if (!entry.last || !sameFigures(entry.last, live)) {
        entry.last = live;
        this.report(() => this.options.onUpdate(site, cluster, live));
      }
    } catch (err) {
      if (controller.signal.aborted || !this.isCurrent(site, cluster, entry)) {
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      entry.last = undefined;
      if (entry.error !== message) {
        entry.error = message;
        this.report(() => this.options.onError?.(site, cluster, err));
      }
    } finally {
      if (entry.inFlight === controller) {
        entry.inFlight = undefined;
      }
    }
  }

  private isCurrent(
    site: string,
    cluster: string,
    entry: IClusterState
  ): boolean {
    return this.state.get(site)?.get(cluster) === entry;
  }

  /** A throwing callback must not stop the watcher. */
  private report(callback: () => void): void {
    try {
      callback();
    } catch (err) {
      process.stderr.write(
        `sidecar: live figures callback failed: ${err instanceof Error ? err.message : String(err)}\n`
      );
    }
  }
}

/**
 * Are two figures the same for the user? Workers' process memory moves by a
 * few kB all the time; changes below 0.5 % of the memory limit (at least
 * 4 MiB) are not worth a message. `a` is the last reported figure, so small
 * steps add up until they are reported.
 */
export function sameFigures(a: IClusterLive, b: IClusterLive): boolean {
  const tolerance = Math.max(
    4 * 2 ** 20,
    0.005 * Math.max(a.memoryLimit, b.memoryLimit)
  );
  return (
    a.workers === b.workers &&
    a.threads === b.threads &&
    a.memoryLimit === b.memoryLimit &&
    a.tasksProcessing === b.tasksProcessing &&
    Math.abs(a.memory - b.memory) < tolerance
  );
}

/** At most `limit` tasks at once, first come first served. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>(resolve => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) {
        next(); // hand the slot over
      } else {
        this.active -= 1;
      }
    }
  }
}
