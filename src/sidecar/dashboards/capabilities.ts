/**
 * Dashboard capabilities: unguessable, short-lived names that let a
 * dashboard frame load one cluster's dashboard without any of the user's
 * credentials.
 *
 * A dashboard page runs code the site controls, so its frame has an opaque
 * origin and carries no Jupyter cookie. Its requests authenticate with the
 * capability in their path instead: `frame/<capability>/<path>`. Each
 * capability is bound to one site and cluster when it is issued (after
 * Jupyter authenticated the user), so a page can reach nothing but the
 * dashboard it came from. It expires once unused for `idleMs` (an open
 * WebSocket counts as use), and the sidecar forgets all of them when it
 * restarts: a leaked link soon opens nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';

/** What a capability opens. */
export interface IDashboardGrant {
  readonly site: string;
  readonly cluster: string;
}

interface IEntry extends IDashboardGrant {
  lastUsed: number;
  /** Open WebSockets: while any is open the capability does not expire. */
  sockets: number;
  /** Those sockets, closed when the capability is revoked. */
  open: Set<Duplex>;
}

/** 32 random bytes, base64url: 43 characters. */
const CAPABILITY = /^[A-Za-z0-9_-]{43}$/;

export class DashboardCapabilities {
  constructor(options: DashboardCapabilities.IOptions = {}) {
    this.idleMs = options.idleMs ?? DashboardCapabilities.IDLE_MS;
    this.maxEntries = options.maxEntries ?? DashboardCapabilities.MAX_ENTRIES;
    this.now = options.now ?? Date.now;
  }

  /** A new capability for one cluster's dashboard. */
  issue(grant: IDashboardGrant): string {
    this.forgetExpired();
    if (this.entries.size >= this.maxEntries) {
      this.forgetLeastRecentlyUsed();
    }
    const capability = randomBytes(32).toString('base64url');
    this.entries.set(capability, {
      site: grant.site,
      cluster: grant.cluster,
      lastUsed: this.now(),
      sockets: 0,
      open: new Set()
    });
    return capability;
  }

  /** What `capability` opens, counting this as a use; undefined when unknown or expired. */
  use(capability: string): IDashboardGrant | undefined {
    const entry = this.live(capability);
    if (!entry) {
      return undefined;
    }
    entry.lastUsed = this.now();
    return { site: entry.site, cluster: entry.cluster };
  }

  /**
   * Keep `capability` alive while a WebSocket opened with it is open; call
   * the returned function when it closes (once is enough, more is harmless).
   * Revoking the capability closes the socket.
   */
  hold(capability: string, socket?: Duplex): () => void {
    const entry = this.live(capability);
    if (!entry) {
      return () => undefined;
    }
    entry.sockets += 1;
    if (socket) {
      entry.open.add(socket);
    }
    let released = false;
    return () => {
      if (!released) {
        released = true;
        entry.sockets -= 1;
        entry.lastUsed = this.now();
        if (socket) {
          entry.open.delete(socket);
        }
      }
    };
  }

  /**
   * Forget every capability of a site (or of one of its clusters), and close
   * the WebSockets open with them: its cluster stopped, or its login ended.
   */
  revoke(site: string, cluster?: string): void {
    for (const [capability, entry] of this.entries) {
      if (
        entry.site === site &&
        (cluster === undefined || entry.cluster === cluster)
      ) {
        this.entries.delete(capability);
        for (const socket of entry.open) {
          socket.destroy();
        }
      }
    }
  }

  /** How many capabilities are known (expired ones included until swept). */
  get size(): number {
    return this.entries.size;
  }

  private live(capability: string): IEntry | undefined {
    if (!CAPABILITY.test(capability)) {
      return undefined;
    }
    const entry = this.entries.get(capability);
    if (entry && this.expired(entry)) {
      this.entries.delete(capability);
      return undefined;
    }
    return entry;
  }

  private expired(entry: IEntry): boolean {
    return entry.sockets === 0 && this.now() - entry.lastUsed > this.idleMs;
  }

  private forgetExpired(): void {
    for (const [capability, entry] of this.entries) {
      if (this.expired(entry)) {
        this.entries.delete(capability);
      }
    }
  }

  private forgetLeastRecentlyUsed(): void {
    let oldest: [string, IEntry] | undefined;
    for (const item of this.entries) {
      if (
        item[1].sockets === 0 &&
        (!oldest || item[1].lastUsed < oldest[1].lastUsed)
      ) {
        oldest = item;
      }
    }
    // All in use: the oldest in use goes (its open sockets stay open).
    const victim = oldest?.[0] ?? this.entries.keys().next().value;
    if (victim !== undefined) {
      this.entries.delete(victim);
    }
  }

  private readonly entries = new Map<string, IEntry>();
  private readonly idleMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
}

export namespace DashboardCapabilities {
  export interface IOptions {
    /** Unused this long, a capability expires (default `IDLE_MS`). */
    idleMs?: number;
    /** At most this many at once; the least recently used go first. */
    maxEntries?: number;
    /** The clock (tests give their own). */
    now?: () => number;
  }

  /** Ten minutes: a pane's page uses its capability all the time; a leaked link soon opens nothing. */
  export const IDLE_MS = 10 * 60_000;
  export const MAX_ENTRIES = 1000;
}
