/**
 * Waiting for a cluster to start: long polls of the gateway's `?wait`, the
 * status reported as it changes, and errors that say what to do when the
 * cluster fails, is stopped or takes too long.
 */
import type { IClusterInfo } from '../../protocol';
import type { IGatewayCluster } from './cluster-info';
import { GatewayError, isGatewayError, shortCluster } from './errors';

/** The gateway's `?wait` blocks for up to 20 s; a long poll may take this long. */
export const LONG_POLL_MS = 30_000;
/** A gateway that answers `?wait` at once is asked at most this often. */
const MIN_POLL_GAP_MS = 1_000;

export interface IWaitOptions {
  /** Give up after this long (default 5 min). */
  timeoutMs?: number;
  /** Called with the cluster whenever its status changes (first call: current status). */
  onProgress?: (cluster: IClusterInfo) => void;
  signal?: AbortSignal;
}

/** What the wait needs of the gateway client. */
export interface IClusterLookup {
  site: string;
  now: () => number;
  get(
    name: string,
    options: { wait?: boolean; signal?: AbortSignal; timeoutMs?: number }
  ): Promise<IGatewayCluster>;
  /** The cluster as the sidecar reports it (no TLS material). */
  info(raw: IGatewayCluster): IClusterInfo;
}

/**
 * Resolves with the cluster once it runs. Rejects with `failed` if it fails
 * or is stopped first, `timeout` after `timeoutMs`.
 */
export async function waitUntilRunning(
  cluster: IClusterLookup,
  name: string,
  options: IWaitOptions = {}
): Promise<IClusterInfo> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const deadline = cluster.now() + timeoutMs;
  let lastStatus: string | undefined;
  for (;;) {
    const remaining = deadline - cluster.now();
    if (remaining <= 0) {
      throw new GatewayError(
        'timeout',
        cluster.site,
        `cluster ${shortCluster(name)} did not start within ` +
          `${Math.round(timeoutMs / 1000)} s (still ${lastStatus ?? 'PENDING'}): ` +
          `the site may be short of resources; stop it or wait longer`,
        { cluster: name }
      );
    }
    const started = cluster.now();
    let raw: IGatewayCluster;
    try {
      raw = await cluster.get(name, {
        wait: true,
        signal: options.signal,
        timeoutMs: Math.min(remaining, LONG_POLL_MS)
      });
    } catch (err) {
      if (isGatewayError(err) && err.kind === 'timeout') {
        continue; // the deadline check above decides
      }
      throw err;
    }
    const info = cluster.info(raw);
    if (raw.status !== lastStatus) {
      lastStatus = raw.status;
      options.onProgress?.(info);
    }
    switch (raw.status) {
      case 'RUNNING':
        return info;
      case 'FAILED':
        throw new GatewayError(
          'failed',
          cluster.site,
          `cluster ${shortCluster(name)} failed to start. The gateway does ` +
            `not report why: its administrators find the reason in the ` +
            `gateway's log for cluster ${name}; check the cluster options ` +
            `(${describeOptions(raw.options)}) or try again`,
          { cluster: name }
        );
      case 'STOPPING':
      case 'STOPPED':
        throw new GatewayError(
          'failed',
          cluster.site,
          `cluster ${shortCluster(name)} was stopped before it started ` +
            `(${raw.status})`,
          { cluster: name }
        );
      default:
        // PENDING: a gateway that answers `?wait` at once must not be polled in a tight loop.
        if (cluster.now() - started < MIN_POLL_GAP_MS) {
          await sleep(Math.min(MIN_POLL_GAP_MS, remaining), options.signal);
        }
    }
  }
}

function describeOptions(options: IGatewayCluster['options']): string {
  const entries = Object.entries(options ?? {});
  return entries.length
    ? entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')
    : 'none';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
