/**
 * The sidecar's HTTP API, served to the browser under `<base_url>/dask-sites/`
 * by the Jupyter server. Errors are `IErrorResponse` with a 4xx/5xx status.
 *
 * Routes (browser, through the Jupyter server's proxy):
 *   GET    /api/health                                   IHealthResponse (no secret needed)
 *   GET    /api/sites                                    ISitesResponse
 *   POST   /api/sites/:site/login         ILoginRequest  LoginState
 *   DELETE /api/sites/:site/login                        LoginState (cancel or log out)
 *   GET    /api/sites/:site/options                      IOptionsResponse
 *   GET    /api/sites/:site/clusters                     IClustersResponse
 *   POST   /api/sites/:site/clusters      ICreateClusterRequest  IClusterInfo
 *   PATCH  /api/sites/:site/clusters/:c   IRenameClusterRequest  IClusterInfo
 *   POST   /api/sites/:site/clusters/:c/scale  IScaleRequest     IScaleResponse
 *   POST   /api/sites/:site/clusters/:c/adapt  IAdaptRequest     IScaleResponse
 *   GET    /api/sites/:site/clusters/:c/plots  -                 IPlotsResponse
 *   DELETE /api/sites/:site/clusters/:c                  204
 *   PUT    /api/sites/:site/chosen-cluster IChooseClusterRequest ISiteState
 *   GET    /oidc/callback?code&state                     HTML page (code flow)
 *   GET    /dashboard/:site/:cluster/...                 302 to a capability URL (below)
 *   WS     /api/live                                     LiveMessage (msgpack)
 *
 * Dashboard frames (no secret, no Jupyter login: the capability is the credential):
 *   GET    /frame/:capability/...                        that one cluster's dashboard
 *   WS     /frame/:capability/...                        its Bokeh WebSocket
 *
 * Kernel routes (kernel secret only, never proxied to the browser):
 *   GET    /kernel/sites                                 IKernelSitesResponse
 *   GET    /kernel/sites/:site/connection?cluster=&create=&owner=  IKernelConnection
 *   PUT    /kernel/sites/:site/clusters/:cluster/versions  IVersionReport  204
 *   GET    /kernel/sites/:site/storage-credentials       IStorageCredentials
 *
 * Server routes (the Jupyter server itself, never proxied to the browser):
 *   PUT    /server/kernels                IKernelsRunningRequest  204
 */
import type { ErrorCode } from './error-codes';
import type {
  IClusterInfo,
  IClusterOptionSpec,
  ISiteState,
  IVersionMismatch,
  LoginState
} from './site-state';

/** GET /api/health (no secret needed). */
export interface IHealthResponse {
  status: 'ok';
  version: string;
}

/** GET /api/sites. */
export interface ISitesResponse {
  sites: ISiteState[];
}

export interface ILoginRequest {
  /** Defaults to the site's configured flow. */
  flow?: 'device' | 'code';
}

export interface IOptionsResponse {
  options: IClusterOptionSpec[];
}

export interface IClustersResponse {
  clusters: IClusterInfo[];
}

export interface ICreateClusterRequest {
  /** Option values; missing ones take the site's defaults, then the gateway's. */
  options?: { [field: string]: unknown };
  displayName?: string;
  /** Wait until the cluster runs (or fails) before answering. */
  wait?: boolean;
}

/**
 * The longest cluster display name, in characters: the sidecar refuses a
 * longer one (naming the limit) rather than cutting it, and the panel says
 * so before sending.
 */
export const MAX_DISPLAY_NAME_LENGTH = 64;

/** A kernel's name: `<kernel id>/<pid>`, or `<kernel id>/*` when its process is not known. */
export const KERNEL_OWNER = /^[A-Za-z0-9-]{1,64}\/(\d{1,10}|\*)$/;

/** Which kernels run (names as `KERNEL_OWNER`), by whom: the server's id for this run. */
export interface IKernelsRunningRequest {
  server: string;
  running: string[];
}

/** What a kernel found comparing its package versions with a cluster's (empty: all match). */
export interface IVersionReport {
  mismatches: IVersionMismatch[];
}

export interface IRenameClusterRequest {
  displayName: string;
}

export interface IScaleRequest {
  count: number;
}

export interface IAdaptRequest {
  minimum: number;
  maximum: number;
}

/**
 * The answer to a scale or adapt: the cluster, and whether the gateway
 * changed the request (a site caps the workers of a cluster).
 */
export interface IScaleResponse extends IClusterInfo {
  limited?: IScaleLimit;
}

/** GET /api/sites/:site/clusters/:c/plots: the plots its dashboard offers. */
export interface IPlotsResponse {
  plots: IDashboardPlot[];
}

/** One page of a cluster's dashboard. */
export interface IDashboardPlot {
  /** As the scheduler names it ("Task Stream"). */
  name: string;
  /** Under the cluster's dashboard, without a leading slash ("individual-task-stream"). */
  path: string;
}

/** The gateway used fewer workers than asked for. */
export interface IScaleLimit {
  /** The site's maximum of workers per cluster, when the gateway said it. */
  maximum?: number;
  /** The gateway's own words. */
  message: string;
}

export interface IChooseClusterRequest {
  /** `null` clears the choice. */
  cluster: string | null;
}

/** GET /kernel/sites: the registry's names and data rules, without waiting for any site. */
export interface IKernelSitesResponse {
  sites: Pick<ISiteState, 'name' | 'label' | 'data'>[];
}

/** What a kernel needs to connect a `distributed.Client`. Holds the TLS key: kernel only. */
export interface IKernelConnection {
  site: string;
  cluster: string;
  displayName: string;
  /** `gateway://host:port/<cluster>`. */
  address: string;
  tlsCert: string;
  tlsKey: string;
  /** Dashboard URL path under the Jupyter server, for links in the notebook. */
  dashboardPath: string;
  /** True when the sidecar created the cluster for this request. */
  created: boolean;
}

/**
 * Short-lived object-store keys of one site for this user (`data.credentials`
 * of type `sts-web-identity`). Secrets: kernel only, never logged.
 */
export interface IStorageCredentials {
  site: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO 8601; the keys stop working then. */
  expiration: string;
  /** ISO 8601: when the sidecar got them (renewal is due at half their life). */
  issuedAt: string;
  /** Region the keys sign for. */
  region: string;
}

export interface IErrorResponse {
  /** For the user: what went wrong and, where known, what to do. */
  error: string;
  /** For clients, e.g. `login-needed`, `gateway-unreachable`, `unknown-site`. */
  code?: ErrorCode;
}

export type { LoginState };

/**
 * WebSocket messages (msgpack-encoded), sidecar → browser. The first message
 * after connecting is a snapshot; later ones are snapshots or diffs.
 */
export type LiveMessage =
  | { type: 'snapshot'; seq: number; sites: ISiteState[] }
  | {
      type: 'diff';
      seq: number;
      /** Sites sent whole: new ones, and those whose clusters changed order. */
      sites: ISiteState[];
      /** The other changed sites: only what changed (see `applyLiveMessage`). */
      patches?: ISitePatch[];
    };

/**
 * What changed in one site since the last message. A peer that does not
 * know `patches` (an older browser tab) keeps what it had until its next
 * snapshot, rather than misreading them.
 */
export interface ISitePatch {
  name: string;
  /** All the site's own fields (all but `clusters`), when any of them changed. */
  fields?: Omit<ISiteState, 'clusters'>;
  /** Clusters changed (in place) or new (after the others), whole. */
  clusters?: IClusterInfo[];
  /** Names of clusters no longer listed. */
  removed?: string[];
}

/** Browser → sidecar over the WebSocket. */
export type LiveRequest =
  /** Which sites the panel shows; live figures are fetched only for these. */
  { type: 'watch'; sites: string[] };
