/**
 * One error class for everything that goes wrong talking to a site's Dask
 * Gateway (and to a cluster's dashboard through it). The message is written
 * for the user: it names the site, says what happened and what to do.
 * Messages never carry tokens: request headers are never quoted and text
 * coming back from a server passes through `redact()`.
 */
import type { ErrorCode } from '../../protocol';
import { CodedError } from '../errors';

export type GatewayErrorKind =
  /** The gateway could not be reached (connection refused, DNS, 502/503/504). */
  | 'unreachable'
  /** No answer in time, or a cluster did not start in time. */
  | 'timeout'
  /** 401: the login was refused; log in again. */
  | 'unauthorized'
  /** 403: logged in, but not allowed (someone else's cluster, missing group). */
  | 'forbidden'
  /** 404: unknown cluster (or a wrong gateway address). */
  | 'not-found'
  /** 409: the cluster is not running. */
  | 'conflict'
  /** 422 or rejected before sending: invalid options or arguments. */
  | 'invalid'
  /** A cluster failed to start or stopped while we waited for it. */
  | 'failed'
  /** Any other failure of the server, or an answer that is not the gateway's. */
  | 'server';

export interface IGatewayErrorDetails {
  /** HTTP status, when there was an answer. */
  status?: number;
  /** The gateway's own `error` text (redacted), when it sent one. */
  detail?: string;
  /** The cluster concerned, if any. */
  cluster?: string;
  cause?: unknown;
}

/** The wire code of each kind: `gateway-<kind>`. */
export type GatewayErrorCode = `gateway-${GatewayErrorKind}`;

export class GatewayError extends CodedError {
  readonly code: GatewayErrorCode;
  readonly kind: GatewayErrorKind;
  readonly site: string;
  readonly status?: number;
  readonly detail?: string;
  readonly cluster?: string;

  constructor(
    kind: GatewayErrorKind,
    site: string,
    message: string,
    details: IGatewayErrorDetails = {}
  ) {
    super(`${site}: ${redact(message)}`, { cause: details.cause });
    this.code = `gateway-${kind}` satisfies ErrorCode;
    this.kind = kind;
    this.site = site;
    this.status = details.status;
    this.detail =
      details.detail === undefined ? undefined : redact(details.detail);
    this.cluster = details.cluster;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

/** Short form of a cluster id for messages: `3f2a1b2c…`. */
export function shortCluster(name: string): string {
  return name.length > 12 ? `${name.slice(0, 8)}…` : name;
}

const SECRET_PATTERNS: RegExp[] = [
  // Authorization header values.
  /\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{20,}/gi,
  // JWTs anywhere.
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  // PEM blocks (a cluster's TLS key must never travel in a message).
  /-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g
];

/** Remove anything that looks like a credential from text meant for users or logs. */
export function redact(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, match =>
      /^(Bearer|Basic|token)\s/i.test(match)
        ? `${match.split(/\s+/)[0]} [redacted]`
        : '[redacted]'
    );
  }
  return out;
}

/**
 * The reason a `fetch` failed at the network level, e.g. `ECONNREFUSED`,
 * from undici's `TypeError('fetch failed', { cause })`.
 */
export function networkReason(err: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as {
      code?: unknown;
      errors?: unknown;
      cause?: unknown;
      message?: unknown;
    };
    if (typeof e.code === 'string' && !e.code.startsWith('UND_ERR_ABORT')) {
      return e.code;
    }
    // AggregateError (happy eyeballs tries several addresses).
    if (Array.isArray(e.errors) && e.errors.length) {
      const inner = networkReason(e.errors[0]);
      if (inner) {
        return inner;
      }
    }
    if (e.cause === undefined) {
      return typeof e.message === 'string' ? redact(e.message) : '';
    }
    current = e.cause;
  }
  return '';
}
