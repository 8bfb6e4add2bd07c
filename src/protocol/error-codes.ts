/**
 * The machine-readable reasons of failed answers (`IErrorResponse.code`),
 * defined once for the sidecar, the Lab client and, mirrored by hand, the
 * Python client (`jupyter_ext_server/sidecar_client.py`; a test keeps the two
 * lists equal). The message beside a code is for people; the code is for
 * programs deciding what to offer (a login button, a retry).
 */
export const ERROR_CODES = [
  // The request itself (any route).
  /** The body is not JSON or does not match the route's schema. */
  'invalid-request',
  /** The body is larger than the sidecar accepts. */
  'body-too-large',
  /** No secret, or a wrong one. */
  'not-authorised',
  /** A valid secret, but of a caller this route does not serve (a browser on a kernel route). */
  'caller-not-allowed',
  /** No route has this path. */
  'unknown-route',
  /** The path exists, with other methods. */
  'method-not-allowed',
  /** A bug in the sidecar; its log says more. */
  'internal',

  // Sites and clusters.
  /** The registry has no site of this name. */
  'unknown-site',
  /** The site's last refresh failed; the message says how. */
  'site-error',
  /** A kernel asked for a site's cluster and none runs. */
  'no-cluster',
  /** Several clusters run and none is chosen for kernels. */
  'ambiguous-cluster',
  /** The cluster is listed as running but its scheduler does not answer. */
  'cluster-unreachable',
  /** The dashboard proxy knows no such site or cluster. */
  'unknown-dashboard',
  /** The dashboard proxy could not reach the cluster's dashboard. */
  'dashboard-unreachable',
  /** A dashboard frame's capability is unknown or expired: open the dashboard again. */
  'dashboard-link-expired',

  // Logins.
  /** Not logged in, or the login ended: log in (again). */
  'login-needed',
  /** A login attempt was refused or its answer did not belong to one. */
  'login-failed',
  /** The site's login server could not be reached; the login is kept. */
  'issuer-unreachable',
  /** The site's auth settings cannot work (the message names the field). */
  'auth-misconfigured',

  // A site's Dask Gateway (`GatewayError.kind`, prefixed).
  'gateway-unreachable',
  'gateway-timeout',
  'gateway-unauthorized',
  'gateway-forbidden',
  'gateway-not-found',
  'gateway-conflict',
  'gateway-invalid',
  'gateway-failed',
  'gateway-server',

  // A site's object-store keys (`data.credentials`).
  /** The site's registry entry gives no keys to fetch (its credentials are not sts-web-identity). */
  'no-storage-credentials',
  /** The site's STS refused to issue keys for this login; the message says why. */
  'storage-credentials-refused',
  /** The site's STS could not be reached or answered nonsense. */
  'storage-unreachable',

  // Only the clients make these (no sidecar answer behind them).
  /** The Jupyter server (or the sidecar) did not answer at all. */
  'network',
  /** An answer came that is not the sidecar's JSON. */
  'bad-answer'
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Is `value` one of the codes (for answers read off the wire)? */
export function isErrorCode(value: unknown): value is ErrorCode {
  return (
    typeof value === 'string' &&
    (ERROR_CODES as readonly string[]).includes(value)
  );
}
