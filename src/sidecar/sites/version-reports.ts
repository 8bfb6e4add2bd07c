/**
 * What kernels found when they compared their package versions with a
 * cluster's (the kernel does the comparing, `kernel/versions.py`): kept per
 * cluster while it is listed, shown on its card. The last report wins: a
 * kernel with matching versions clears it.
 */
import type { IVersionMismatch } from '../../protocol';

export class VersionReports {
  private readonly reports = new Map<string, Map<string, IVersionMismatch[]>>();

  /** Returns whether anything changed. */
  report(
    site: string,
    cluster: string,
    mismatches: IVersionMismatch[]
  ): boolean {
    const perSite =
      this.reports.get(site) ?? new Map<string, IVersionMismatch[]>();
    const before = JSON.stringify(perSite.get(cluster) ?? []);
    if (mismatches.length) {
      perSite.set(
        cluster,
        mismatches.map(m => ({ ...m }))
      );
    } else {
      perSite.delete(cluster);
    }
    this.reports.set(site, perSite);
    return before !== JSON.stringify(mismatches);
  }

  of(site: string, cluster: string): IVersionMismatch[] | undefined {
    return this.reports.get(site)?.get(cluster);
  }

  /** Forget clusters no longer listed. */
  prune(site: string, listed: readonly string[]): void {
    const perSite = this.reports.get(site);
    if (perSite) {
      const keep = new Set(listed);
      for (const cluster of perSite.keys()) {
        if (!keep.has(cluster)) {
          perSite.delete(cluster);
        }
      }
    }
  }
}
