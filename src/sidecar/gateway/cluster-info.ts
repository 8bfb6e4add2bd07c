/**
 * The gateway's cluster JSON and its conversion to what the browser sees.
 *
 * The gateway puts a running cluster's `tls_cert` and `tls_key` into every
 * cluster answer (also the list). `toClusterInfo()` copies the fields the
 * browser may see one by one, so TLS material cannot leak by accident; only
 * `GatewayClient.connectionInfo()` hands the certificate and key out.
 */
import type { ClusterStatus, IClusterInfo } from '../../protocol';

/** A cluster as `GET /api/v1/clusters/{name}` returns it. */
export interface IGatewayCluster {
  name: string;
  status: ClusterStatus;
  dashboard_route?: string | null;
  /** ms since the epoch. */
  start_time?: number | null;
  stop_time?: number | null;
  options?: { [field: string]: unknown } | null;
  tls_cert?: string | null;
  tls_key?: string | null;
}

const STATUSES: ReadonlySet<string> = new Set<ClusterStatus>([
  'PENDING',
  'RUNNING',
  'STOPPING',
  'STOPPED',
  'FAILED'
]);

/** States in which a cluster exists or is still coming up. */
export function isActive(status: ClusterStatus): boolean {
  return status === 'PENDING' || status === 'RUNNING' || status === 'STOPPING';
}

export { isUp } from '../../protocol';

/** Does `value` look like the gateway's cluster JSON? */
export function isGatewayCluster(value: unknown): value is IGatewayCluster {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const v = value as { name?: unknown; status?: unknown };
  return (
    typeof v.name === 'string' &&
    typeof v.status === 'string' &&
    STATUSES.has(v.status)
  );
}

export interface IClusterInfoExtras {
  displayName: string;
  adaptive?: { minimum: number; maximum: number };
}

/** The browser's view of a cluster: no `tls_cert`, no `tls_key`. */
export function toClusterInfo(
  raw: IGatewayCluster,
  extras: IClusterInfoExtras
): IClusterInfo {
  const info: IClusterInfo = {
    name: raw.name,
    displayName: extras.displayName,
    status: raw.status,
    options: { ...(raw.options ?? {}) }
  };
  if (raw.dashboard_route) {
    info.dashboardRoute = raw.dashboard_route;
  }
  if (typeof raw.start_time === 'number') {
    info.startTime = raw.start_time;
  }
  if (typeof raw.stop_time === 'number') {
    info.stopTime = raw.stop_time;
  }
  if (extras.adaptive && raw.status === 'RUNNING') {
    info.adaptive = { ...extras.adaptive };
  }
  return info;
}
