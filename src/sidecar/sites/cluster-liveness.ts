/**
 * Which listed clusters do not answer. A gateway keeps listing a cluster as
 * RUNNING until its scheduler's heartbeat times out (up to a minute), so a
 * scheduler that died would still be handed to kernels, which then wait for
 * it in vain. Its `health` route answers in milliseconds either way (the
 * gateway's proxy says 502 at once), so the sidecar asks before handing a
 * cluster out, and learns from the live figures while a panel watches.
 *
 * What is known is kept per cluster and shown on it (`unreachable`), so
 * the panel says it too; a cluster that answers again is cleared.
 */
import type { IClusterUnreachable } from '../../protocol';
import type { SiteStates } from './site-states';

/** A probe's answer is reused this long (kernels ask every few seconds). */
const FRESH_MS = 2_000;

export interface IClusterLivenessOptions {
  states: SiteStates;
  now?: () => number;
}

interface IKnown {
  at: number;
  /** Undefined while it answers. */
  unreachable?: IClusterUnreachable;
}

export class ClusterLiveness {
  private readonly known = new Map<string, IKnown>();
  private readonly now: () => number;

  constructor(private readonly options: IClusterLivenessOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Why the cluster does not answer, or undefined when it does (asked at most every 2 s). */
  async check(
    site: string,
    cluster: string
  ): Promise<IClusterUnreachable | undefined> {
    const known = this.known.get(key(site, cluster));
    if (known && this.now() - known.at < FRESH_MS) {
      return known.unreachable;
    }
    try {
      await this.options.states.entry(site).metrics.ping(cluster);
      this.answered(site, cluster);
    } catch (err) {
      this.silent(site, cluster, (err as Error).message);
    }
    return this.of(site, cluster);
  }

  /** What is known now, without asking (the refresher keeps it on a new list). */
  of(site: string, cluster: string): IClusterUnreachable | undefined {
    return this.known.get(key(site, cluster))?.unreachable;
  }

  /** The scheduler answered (a probe, or live figures). */
  answered(site: string, cluster: string): void {
    const before = this.of(site, cluster);
    this.known.set(key(site, cluster), { at: this.now() });
    if (before) {
      this.show(site, cluster, undefined);
    }
  }

  /** The scheduler did not answer; `reason` is for people. */
  silent(site: string, cluster: string, reason: string): void {
    const before = this.of(site, cluster);
    const unreachable = { since: before?.since ?? this.now(), reason };
    this.known.set(key(site, cluster), { at: this.now(), unreachable });
    if (before?.reason !== reason) {
      this.show(site, cluster, unreachable);
    }
  }

  /** Forget the site's clusters that are no longer listed. */
  prune(site: string, listed: readonly string[]): void {
    const keep = new Set(listed.map(cluster => key(site, cluster)));
    const prefix = key(site, '');
    for (const known of [...this.known.keys()]) {
      if (known.startsWith(prefix) && !keep.has(known)) {
        this.known.delete(known);
      }
    }
  }

  private show(
    site: string,
    cluster: string,
    unreachable: IClusterUnreachable | undefined
  ): void {
    const info = this.options.states
      .find(site)
      ?.state.clusters.find(c => c.name === cluster);
    if (!info) {
      return;
    }
    if (unreachable) {
      info.unreachable = unreachable;
    } else {
      delete info.unreachable;
    }
    this.options.states.changed([site]);
  }
}

function key(site: string, cluster: string): string {
  return `${site}\u0000${cluster}`;
}
