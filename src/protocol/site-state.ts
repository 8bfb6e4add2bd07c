/**
 * Live state of sites, logins and clusters, as the sidecar reports it to the
 * browser (REST answers and WebSocket messages). Nothing here may carry a
 * token or a cluster's TLS key.
 */
import type { ISiteData } from './site-registry';

/** Where a site's login stands. Sites that share an issuer share one. */
export type LoginState =
  | {
      status: 'logged-out';
      /** Why the user is asked to log in again, when there is more to say. */
      reason?: string;
    }
  | {
      status: 'pending';
      flow: 'device';
      userCode: string;
      verificationUri: string;
      verificationUriComplete?: string;
      /** ms since the epoch; the code is useless afterwards. */
      expiresAt: number;
    }
  | {
      status: 'pending';
      flow: 'code';
      /** Open this in a popup; the issuer redirects to the sidecar's callback. */
      authorizationUrl: string;
      expiresAt: number;
    }
  | {
      status: 'logged-in';
      user: string;
      /** ms since the epoch when the current access token expires. */
      accessExpiresAt: number;
      /** ms since the epoch when the login ends for good, if known. */
      sessionExpiresAt?: number;
    }
  | {
      status: 'login-needed';
      /** Why, for the user: "the refresh token was refused (invalid_grant)". */
      reason: string;
    }
  /** `auth.type` is `none` or `jupyterhub`: nothing for the user to do. */
  | { status: 'not-required' };

export type LoginStatus = LoginState['status'];

/** Can the sidecar reach the site's gateway? */
export interface IReachability {
  status: 'unknown' | 'up' | 'down';
  /** Gateway version from `/api/version` when up. */
  version?: string;
  /** Why it is down, for the user. */
  error?: string;
  /** ms since the epoch. */
  checkedAt?: number;
}

/** Dask Gateway cluster states, as the gateway names them. */
export type ClusterStatus =
  'PENDING' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'FAILED';

/** States in which a cluster runs or is about to (it has, or will have, a scheduler). */
export function isUp(status: ClusterStatus): status is 'PENDING' | 'RUNNING' {
  return status === 'PENDING' || status === 'RUNNING';
}

/** Figures from a running cluster's scheduler. */
export interface IClusterLive {
  workers: number;
  threads: number;
  /** Bytes in use on all workers. */
  memory: number;
  /** Memory limit summed over workers, bytes. */
  memoryLimit: number;
  /** Tasks being processed right now. */
  tasksProcessing: number;
  /** ms since the epoch. */
  updatedAt: number;
}

/** A cluster as the browser sees it (the gateway's answer without TLS material). */
export interface IClusterInfo {
  /** The gateway's id (a UUID hex). */
  name: string;
  /** Chosen by the user, kept by the sidecar; defaults to a short form of `name`. */
  displayName: string;
  status: ClusterStatus;
  /** Path under the gateway, e.g. `/clusters/<name>/status`, while running. */
  dashboardRoute?: string;
  /** ms since the epoch. */
  startTime?: number;
  stopTime?: number;
  options: { [field: string]: unknown };
  /** Adaptive scaling bounds if the sidecar turned adapt on. */
  adaptive?: { minimum: number; maximum: number };
  live?: IClusterLive;
  /**
   * Set while the gateway lists the cluster as running but its scheduler
   * does not answer (it died: the gateway notices only after a timeout).
   */
  unreachable?: IClusterUnreachable;
  /**
   * Set for a cluster the sidecar made for kernels (not one started from the
   * panel or chosen for kernels there): it is stopped once the kernels that
   * used it have ended (`c.DaskSites.kernel_clusters`).
   */
  forKernels?: IClusterForKernels;
  /**
   * Packages whose versions differ between a kernel that connected and the
   * cluster's scheduler or workers, as that kernel reported them.
   */
  versionMismatches?: IVersionMismatch[];
}

export interface IVersionMismatch {
  package: string;
  /** The kernel's version (`null`: not installed there). */
  here: string | null;
  /** The cluster's, e.g. "1.26.4 (scheduler and 2 workers)". */
  there: string;
  /** Pickled work cannot cross it (Python minor, cloudpickle major): the kernel refuses the cluster. */
  fatal: boolean;
}

export interface IClusterForKernels {
  /** Kernels using it now. */
  kernels: number;
  /** ms since the epoch: when it will be stopped (all its kernels ended), if so. */
  stopsAt?: number;
}

/** Why a listed cluster cannot be used. */
export interface IClusterUnreachable {
  /** ms since the epoch: when it was first found not answering. */
  since: number;
  /** What the gateway said, for people. */
  reason: string;
}

/** One cluster option as the gateway describes it (`GET /api/v1/options`). */
export interface IClusterOptionSpec {
  field: string;
  label: string;
  default: unknown;
  spec:
    | { type: 'string'; default?: string }
    | { type: 'bool'; default?: boolean }
    | {
        type: 'int' | 'float';
        default?: number;
        min?: number | null;
        max?: number | null;
      }
    | { type: 'select'; default?: string; options: string[] }
    | { type: 'mapping'; default?: { [key: string]: unknown } };
}

export interface ISiteState {
  name: string;
  label: string;
  colour?: string;
  /** Sites with the same key share one login. */
  loginKey: string;
  /** Which data lives here (from the registry): kernels route by it. */
  data?: ISiteData;
  login: LoginState;
  reachability: IReachability;
  clusters: IClusterInfo[];
  /**
   * Set when `clusters` is the list as last seen at this time (ms since the
   * epoch), not a fresh one: after a logout or a restart, until the user
   * logs in again. Those clusters may still run; managing them needs a login.
   */
  clustersAsOf?: number;
  /** The cluster kernels use for this site, if the user chose one. */
  chosenCluster?: string;
  /** Last failure of a cluster listing, for the site's card. */
  error?: string;
}
