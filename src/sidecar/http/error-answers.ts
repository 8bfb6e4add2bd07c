/**
 * The one table from error codes to HTTP statuses. Domain errors
 * (`CodedError`: logins, gateways, sites) and the HTTP layer's own
 * (`HttpError`: a body too large, not JSON) carry a code and a message for
 * the user; this is the only place that decides what status they answer
 * with.
 */
import type { ErrorCode } from '../../protocol';
import { CodedError } from '../errors';

/** Codes only the clients make: no sidecar answer carries them. */
type ClientOnlyCode = 'network' | 'bad-answer';

/** The codes a sidecar answer can carry. */
export type SidecarErrorCode = Exclude<ErrorCode, ClientOnlyCode>;

export const HTTP_STATUS: Record<SidecarErrorCode, number> = {
  'invalid-request': 400,
  'body-too-large': 413,
  'not-authorised': 401,
  'caller-not-allowed': 403,
  'unknown-route': 404,
  'method-not-allowed': 405,
  internal: 500,

  'unknown-site': 404,
  'site-error': 502,
  'no-cluster': 409,
  'ambiguous-cluster': 409,
  'cluster-unreachable': 409,
  'unknown-dashboard': 404,
  'dashboard-unreachable': 502,
  'dashboard-link-expired': 404,

  'login-needed': 409,
  'login-failed': 400,
  'issuer-unreachable': 502,
  'auth-misconfigured': 500,

  'gateway-unreachable': 502,
  'gateway-timeout': 504,
  // The gateway refused the login: for the user that is "log in again", not a 401 of ours.
  'gateway-unauthorized': 409,
  'gateway-forbidden': 403,
  'gateway-not-found': 404,
  'gateway-conflict': 409,
  'gateway-invalid': 422,
  'gateway-failed': 409,
  'gateway-server': 502,

  'no-storage-credentials': 409,
  // Like a gateway refusing the login: for the user, "log in again" (or ask the site).
  'storage-credentials-refused': 409,
  'storage-unreachable': 502
};

/** An error of the request itself, found by the HTTP layer. */
export class HttpError extends CodedError {
  readonly status: number;

  constructor(
    readonly code: SidecarErrorCode,
    message: string
  ) {
    super(message);
    this.status = HTTP_STATUS[code];
  }
}

/** Any error raised on purpose as the HTTP error it answers with; undefined for anything else (a bug). */
export function errorAnswer(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) {
    return err;
  }
  if (!(err instanceof CodedError) || !(err.code in HTTP_STATUS)) {
    return undefined;
  }
  return new HttpError(err.code as SidecarErrorCode, err.message);
}
