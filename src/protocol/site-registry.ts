/**
 * The site registry document: the sites a Dask Sites deployment knows.
 *
 * These types mirror `jupyter_ext_server/registry/site-registry.schema.json`,
 * which is authoritative; the sidecar validates every document against that
 * schema before these types are trusted.
 */

/** Format version of the registry document this code understands. */
export const SITE_REGISTRY_VERSION = 1;

export interface ISiteRegistry {
  version: typeof SITE_REGISTRY_VERSION;
  sites: ISiteConfig[];
}

export interface ISiteConfig {
  /** Lowercase slug used in cell tags and magics (`%%site lumi`). */
  name: string;
  /** Human-readable name, e.g. "Central (Warsaw)". */
  label: string;
  /** `#rrggbb` colour of the site's cards and cell badges. */
  colour?: string;
  gateway: IGatewayConfig;
  auth: SiteAuth;
  /** Cluster option values used when no form is shown. */
  cluster_defaults?: { [option: string]: string | number | boolean };
  data?: ISiteData;
}

export interface IGatewayConfig {
  /** Dask Gateway API address (http or https). */
  address: string;
  /** Scheduler proxy address (`gateway://host:port`) if it differs. */
  proxy_address?: string;
  /** Dashboard address as seen from the sidecar, if it differs. */
  public_address?: string;
}

export type SiteAuth = IOidcAuth | IJupyterHubAuth | INoAuth;

export interface IOidcAuth {
  type: 'oidc';
  issuer: string;
  client_id: string;
  /** Defaults to `device`. */
  flow?: 'device' | 'code';
  /** Defaults to `["openid", "profile", "offline_access"]`. */
  scopes?: string[];
  /** RFC 8707 resource indicator, if the issuer needs one. */
  resource?: string;
  /** Defaults to `false`. */
  persist_refresh_token?: boolean;
  /** Code flow: `prompt=none` first (one sign-on). Defaults to `true`. */
  silent_first?: boolean;
}

export interface IJupyterHubAuth {
  type: 'jupyterhub';
}

export interface INoAuth {
  type: 'none';
}

export interface ISiteData {
  /** Glob patterns of data URLs that live at this site. */
  patterns?: string[];
  /** Object-store endpoints that serve this site's data. */
  storage_endpoints?: string[];
  /** How kernels and workers get keys for the site's object store (default `environment`). */
  credentials?: StorageCredentialsConfig;
}

export type StorageCredentialsConfig =
  IStsWebIdentityCredentials | { type: 'anonymous' } | { type: 'environment' };

/**
 * AWS STS `AssumeRoleWithWebIdentity` with the user's access token for the
 * site (AWS, Ceph RGW and MinIO speak it): short-lived keys per user.
 */
export interface IStsWebIdentityCredentials {
  type: 'sts-web-identity';
  /** The STS endpoint (often the object store's own address). */
  endpoint: string;
  /** The role to assume, e.g. `arn:aws:iam::123456789012:role/central-data`. */
  role: string;
  /** Seconds the keys last (the STS may lower it). Defaults to 3600. */
  duration?: number;
  /** Region to sign requests for. Defaults to `us-east-1`. */
  region?: string;
}
