/**
 * Display names of clusters: the gateway knows a cluster only by a UUID hex
 * (`3f2a1b2c9d…`); users name them ("flood run"). Names live in memory here;
 * `toJSON()`/`fromJSON()` give the `displayNames` part of the sidecar's
 * state file (`{site: {cluster: name}}`), which its owner persists.
 */

import { MAX_DISPLAY_NAME_LENGTH } from '../../protocol';

export { MAX_DISPLAY_NAME_LENGTH };

export type DisplayNamesDocument = {
  [site: string]: { [cluster: string]: string };
};

/** The name shown until the user picks one: the first 8 characters of the id. */
export function defaultDisplayName(cluster: string): string {
  return cluster.slice(0, 8);
}

/**
 * Trim and collapse white space and control characters. The API refuses
 * names longer than `MAX_DISPLAY_NAME_LENGTH` (`http/requests.ts`), so only a
 * name read back from a state file edited by hand is ever cut here.
 */
export function cleanDisplayName(name: string): string {
  return name
    .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_DISPLAY_NAME_LENGTH);
}

export class DisplayNames {
  private readonly names = new Map<string, Map<string, string>>();
  private readonly listeners = new Set<() => void>();

  /** The user's name for the cluster, or the default one. */
  get(site: string, cluster: string): string {
    return this.custom(site, cluster) ?? defaultDisplayName(cluster);
  }

  /** The user's name, if one was set. */
  custom(site: string, cluster: string): string | undefined {
    return this.names.get(site)?.get(cluster);
  }

  /**
   * Name a cluster. An empty name (after cleaning) or `undefined` goes back to
   * the default. Returns the name now shown.
   */
  set(site: string, cluster: string, name: string | undefined): string {
    const cleaned = name === undefined ? '' : cleanDisplayName(name);
    const before = this.custom(site, cluster);
    if (!cleaned || cleaned === defaultDisplayName(cluster)) {
      this.deleteQuietly(site, cluster);
    } else {
      let perSite = this.names.get(site);
      if (!perSite) {
        perSite = new Map();
        this.names.set(site, perSite);
      }
      perSite.set(cluster, cleaned);
    }
    if (before !== this.custom(site, cluster)) {
      this.changed();
    }
    return this.get(site, cluster);
  }

  delete(site: string, cluster: string): void {
    if (this.deleteQuietly(site, cluster)) {
      this.changed();
    }
  }

  /**
   * Forget the names of a site's clusters that are not in `keep` (the
   * gateway forgets stopped clusters after a day; so should we).
   */
  prune(site: string, keep: Iterable<string>): void {
    const perSite = this.names.get(site);
    if (!perSite) {
      return;
    }
    const wanted = new Set(keep);
    let removed = false;
    for (const cluster of [...perSite.keys()]) {
      if (!wanted.has(cluster)) {
        perSite.delete(cluster);
        removed = true;
      }
    }
    if (!perSite.size) {
      this.names.delete(site);
    }
    if (removed) {
      this.changed();
    }
  }

  /** Called after every change, e.g. to write the state file. Returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  toJSON(): DisplayNamesDocument {
    const out: DisplayNamesDocument = {};
    for (const [site, perSite] of this.names) {
      out[site] = Object.fromEntries(perSite);
    }
    return out;
  }

  /** Read a saved document; entries that are not strings are skipped. */
  static fromJSON(document: unknown): DisplayNames {
    const names = new DisplayNames();
    if (!isObject(document)) {
      return names;
    }
    for (const [site, perSite] of Object.entries(document)) {
      if (!isObject(perSite)) {
        continue;
      }
      for (const [cluster, name] of Object.entries(perSite)) {
        if (typeof name === 'string') {
          const cleaned = cleanDisplayName(name);
          if (cleaned) {
            let map = names.names.get(site);
            if (!map) {
              map = new Map();
              names.names.set(site, map);
            }
            map.set(cluster, cleaned);
          }
        }
      }
    }
    return names;
  }

  private deleteQuietly(site: string, cluster: string): boolean {
    const perSite = this.names.get(site);
    if (!perSite?.delete(cluster)) {
      return false;
    }
    if (!perSite.size) {
      this.names.delete(site);
    }
    return true;
  }

  private changed(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }
}

function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
