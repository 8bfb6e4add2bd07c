/**
 * Live figures of a running cluster, read from its scheduler's HTTP routes
 * through the gateway (`<gateway>/clusters/<name>/...`; the gateway does not
 * authenticate these, the authorization header is sent anyway when there is
 * one, for deployments that put the dashboards behind a login).
 *
 * What the scheduler offers (distributed 2026.8, checked on the testbed):
 *
 * - `info/main/workers.html`: one table row per worker with its threads,
 *   memory limit, memory in use (process memory, as the dashboard shows it)
 *   and tasks processing. Everything we need in one answer, O(workers), and
 *   it works while the cluster computes. **Primary source.**
 * - `json/counts.json`: workers, threads (`cores`), tasks processing, but no
 *   memory in use or limit (`bytes` is managed memory only). Loops over all
 *   tasks on the scheduler. **Fallback** for workers, threads, processing.
 * - `json/identity.json`: workers, threads, memory limit and per-worker
 *   process memory, but it answers 500 whenever a worker has run tasks since
 *   its last heartbeat (its metrics have tuple keys that JSON cannot encode),
 *   i.e. nearly always while the cluster is busy. **Fallback** for memory
 *   only, when it answers.
 * - `metrics` (Prometheus): worker counts by state and tasks by state, but no
 *   threads and no memory; and only if `prometheus_client` is installed.
 *   Not used.
 */
import type { IClusterLive } from '../../protocol';
import { GatewayError, isGatewayError, shortCluster } from '../gateway/errors';
import {
  send,
  type AuthorizationHeader,
  type FetchLike,
  type IHttpTarget
} from '../gateway/http';

export interface ISchedulerMetricsOptions {
  site: string;
  /**
   * Where the sidecar reaches the dashboards: the registry's
   * `gateway.public_address` if set, else `gateway.address`.
   */
  address: string;
  fetch?: FetchLike;
  authorizationHeader?: AuthorizationHeader;
  /** Per request (default 5 s). */
  timeoutMs?: number;
  now?: () => number;
}

/** Figures without the time stamp. */
export type ClusterFigures = Omit<IClusterLive, 'updatedAt'>;

/** What the workers table gives. */
export type IWorkersTable = ClusterFigures;

export class SchedulerMetrics {
  private readonly target: IHttpTarget;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  /** Last memory figures per cluster, for when only the fallback without memory answers. */
  private readonly lastMemory = new Map<
    string,
    { memory: number; memoryLimit: number }
  >();

  constructor(options: ISchedulerMetricsOptions) {
    this.target = {
      site: options.site,
      address: options.address.replace(/\/+$/, ''),
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      authorizationHeader: options.authorizationHeader
    };
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /** The cluster's figures now. Rejects with a `GatewayError` (or the session's error). */
  async fetch(cluster: string, signal?: AbortSignal): Promise<IClusterLive> {
    let figures: ClusterFigures | undefined;
    try {
      const html = await this.get(
        cluster,
        'info/main/workers.html',
        'text',
        signal
      );
      figures = parseWorkersTable(String(html));
    } catch (err) {
      // The cluster is gone or the site is down: no fallback will do better.
      if (!isGatewayError(err) || !canFallBack(err)) {
        throw err;
      }
    }
    if (!figures) {
      figures = await this.fallback(cluster, signal);
    }
    this.remember(cluster, figures);
    return { ...figures, updatedAt: this.now() };
  }

  /**
   * Does the cluster's scheduler answer? Its `health` route through the
   * gateway: 200 when it runs; the gateway's proxy answers 502 at once when
   * the scheduler behind a RUNNING cluster is gone. Rejects with the
   * `GatewayError` of a scheduler that does not answer; an answer that says
   * nothing about it (a login in front of the dashboards) counts as alive.
   */
  async ping(cluster: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.get(cluster, 'health', 'text', signal);
    } catch (err) {
      if (isGatewayError(err) && !SCHEDULER_GONE.has(err.kind)) {
        return;
      }
      throw err;
    }
  }

  /** The raw `individual-plots.json` of the cluster's dashboard (see `dashboards/plot-list.ts`). */
  plotList(cluster: string, signal?: AbortSignal): Promise<unknown> {
    return this.get(cluster, 'individual-plots.json', 'json', signal);
  }

  /** Drop what is remembered about a cluster (it stopped). */
  forget(cluster: string): void {
    this.lastMemory.delete(cluster);
  }

  private async fallback(
    cluster: string,
    signal?: AbortSignal
  ): Promise<ClusterFigures> {
    const [counts, identity] = await Promise.allSettled([
      this.get(cluster, 'json/counts.json', 'json', signal),
      this.get(cluster, 'json/identity.json', 'json', signal)
    ]);
    const fromIdentity =
      identity.status === 'fulfilled'
        ? parseIdentity(identity.value)
        : undefined;
    if (counts.status === 'rejected') {
      throw counts.reason;
    }
    const fromCounts = parseCounts(counts.value);
    if (!fromCounts) {
      throw new GatewayError(
        'server',
        this.target.site,
        `the dashboard of cluster ${shortCluster(cluster)} gives no figures ` +
          `this client understands (json/counts.json)`,
        { cluster }
      );
    }
    const memory = fromIdentity ??
      this.lastMemory.get(cluster) ?? { memory: 0, memoryLimit: 0 };
    return {
      ...fromCounts,
      memory: fromCounts.workers ? memory.memory : 0,
      memoryLimit: fromCounts.workers ? memory.memoryLimit : 0
    };
  }

  private remember(cluster: string, figures: ClusterFigures): void {
    this.lastMemory.delete(cluster);
    this.lastMemory.set(cluster, {
      memory: figures.memory,
      memoryLimit: figures.memoryLimit
    });
    if (this.lastMemory.size > 1000) {
      const oldest = this.lastMemory.keys().next().value;
      if (oldest !== undefined) {
        this.lastMemory.delete(oldest);
      }
    }
  }

  private async get(
    cluster: string,
    route: string,
    expect: 'json' | 'text',
    signal?: AbortSignal
  ): Promise<unknown> {
    const answer = await send(this.target, {
      path: `/clusters/${encodeURIComponent(cluster)}/${route}`,
      expect,
      timeoutMs: this.timeoutMs,
      signal,
      cluster
    });
    return answer.body;
  }
}

/** Answers of the gateway that mean the scheduler behind a cluster is not there. */
export const SCHEDULER_GONE: ReadonlySet<string> = new Set([
  'unreachable',
  'timeout',
  'not-found'
]);

/** Errors after which another route of the same scheduler may still answer. */
function canFallBack(err: GatewayError): boolean {
  return err.kind === 'server' || err.kind === 'not-found';
}

// ---------------------------------------------------------------------------
// Parsers (pure; tested on answers captured from the testbed)

/**
 * Figures from `info/main/workers.html` (distributed's `worker-table.html`),
 * or `undefined` if the page does not have the expected table.
 */
export function parseWorkersTable(html: string): IWorkersTable | undefined {
  const table = /<table[^>]*>([\s\S]*?)<\/table>/i.exec(html);
  if (!table) {
    return undefined;
  }
  const headers = [...table[1].matchAll(/<th[^>]*>([\s\S]*?)<\/th>/gi)].map(m =>
    text(m[1]).toLowerCase()
  );
  const column = (name: string) => headers.indexOf(name);
  const cores = column('cores');
  const limit = column('memory');
  const use = column('memory use');
  const processing = column('processing');
  if (cores < 0 || limit < 0 || use < 0 || processing < 0) {
    return undefined;
  }
  const body = /<tbody[^>]*>([\s\S]*?)<\/tbody>/i.exec(table[1]);
  if (!body) {
    return undefined;
  }
  const figures: IWorkersTable = {
    workers: 0,
    threads: 0,
    memory: 0,
    memoryLimit: 0,
    tasksProcessing: 0
  };
  for (const row of body[1].matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/gi)) {
    const cells = [...row[1].matchAll(/<td([^>]*)>([\s\S]*?)<\/td>/gi)];
    if (cells.length <= Math.max(cores, limit, use, processing)) {
      return undefined;
    }
    const threads = integer(text(cells[cores][2]));
    const tasks = integer(text(cells[processing][2]));
    const progress = /<progress\b([^>]*)>/i.exec(cells[use][2]);
    if (threads === undefined || tasks === undefined || !progress) {
      return undefined;
    }
    figures.workers += 1;
    figures.threads += threads;
    figures.tasksProcessing += tasks;
    figures.memory += attribute(progress[1], 'value') ?? 0;
    figures.memoryLimit +=
      attribute(cells[limit][1], 'data-sort') ??
      attribute(progress[1], 'max') ??
      0;
  }
  return figures;
}

/** Workers, threads and tasks processing from `json/counts.json`. */
export function parseCounts(
  body: unknown
): Pick<ClusterFigures, 'workers' | 'threads' | 'tasksProcessing'> | undefined {
  if (typeof body !== 'object' || body === null) {
    return undefined;
  }
  const b = body as {
    workers?: unknown;
    cores?: unknown;
    processing?: unknown;
  };
  if (!isCount(b.workers) || !isCount(b.cores) || !isCount(b.processing)) {
    return undefined;
  }
  return {
    workers: b.workers,
    threads: b.cores,
    tasksProcessing: b.processing
  };
}

/** Memory in use (sum of workers' process memory) and memory limit from `json/identity.json`. */
export function parseIdentity(
  body: unknown
):
  | { workers: number; threads: number; memory: number; memoryLimit: number }
  | undefined {
  if (typeof body !== 'object' || body === null) {
    return undefined;
  }
  const b = body as {
    n_workers?: unknown;
    total_threads?: unknown;
    total_memory?: unknown;
    workers?: unknown;
  };
  if (
    !isCount(b.n_workers) ||
    typeof b.workers !== 'object' ||
    b.workers === null
  ) {
    return undefined;
  }
  let memory = 0;
  let memoryLimit = 0;
  let threads = 0;
  for (const worker of Object.values(b.workers as object)) {
    const w = worker as {
      nthreads?: unknown;
      memory_limit?: unknown;
      metrics?: { memory?: unknown };
    };
    threads += isCount(w.nthreads) ? w.nthreads : 0;
    memoryLimit += isCount(w.memory_limit) ? w.memory_limit : 0;
    memory += isCount(w.metrics?.memory) ? w.metrics.memory : 0;
  }
  return {
    workers: b.n_workers,
    threads: isCount(b.total_threads) ? b.total_threads : threads,
    memory,
    memoryLimit: isCount(b.total_memory) ? b.total_memory : memoryLimit
  };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Text content of an HTML fragment. */
function text(fragment: string): string {
  return fragment
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function integer(value: string): number | undefined {
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/** A numeric attribute (`value="123"`); `undefined` if absent or not a number (`None`). */
function attribute(attributes: string, name: string): number | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i').exec(
    attributes
  );
  if (!match) {
    return undefined;
  }
  const value = Number(match[1]);
  return match[1].trim() !== '' && Number.isFinite(value) ? value : undefined;
}
