/**
 * One HTTP exchange with a gateway (or a dashboard behind it): the
 * authorization header from the login session, a time limit, and every
 * failure turned into a `GatewayError` that names the site.
 */
import {
  GatewayError,
  networkReason,
  redact,
  shortCluster,
  type GatewayErrorKind
} from './errors';

/** Same-origin redirects followed at most; other-origin ones never. */
const MAX_REDIRECTS = 5;

/** `fetch` as Node's global has it; injectable for tests. */
export type FetchLike = (
  input: string,
  init?: RequestInit
) => Promise<Response>;

/**
 * Returns the `Authorization` header value for the site (`Bearer …`), or
 * `undefined` when the site needs none. May throw (e.g. the session's
 * `LoginNeededError`); such errors reach the caller unchanged.
 */
/**
 * The login session's header. `forceRefresh` asks for a new access token
 * even if the current one looks valid (the gateway just refused it).
 */
export type AuthorizationHeader = (options?: {
  forceRefresh?: boolean;
}) => Promise<string | undefined>;

export interface IHttpTarget {
  site: string;
  /** Base address, no trailing slash, e.g. `http://127.0.0.1:8000`. */
  address: string;
  fetch: FetchLike;
  authorizationHeader?: AuthorizationHeader;
}

export interface IHttpRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Path and query under the address, starting with `/`. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  timeoutMs: number;
  /** Aborting it rejects with its reason, unchanged. */
  signal?: AbortSignal;
  /** Send the authorization header (default true). */
  auth?: boolean;
  /** `json` (default) parses the answer; `text` returns it as a string. */
  expect?: 'json' | 'text';
  /** The cluster concerned, for messages. */
  cluster?: string;
  /** Start of a 422 message, e.g. `invalid cluster options`. */
  invalidMessage?: string;
}

export interface IHttpAnswer {
  status: number;
  /** Parsed JSON (or text); `undefined` for an empty body. */
  body: unknown;
}

export async function send(
  target: IHttpTarget,
  request: IHttpRequest
): Promise<IHttpAnswer> {
  try {
    return await sendOnce(target, request, false);
  } catch (err) {
    // A token the gateway refuses although it looked valid (the issuer
    // rotated keys, the gateway's clock differs): renew it once and retry.
    const refused = err instanceof GatewayError && err.status === 401;
    if (!refused || request.auth === false || !target.authorizationHeader) {
      throw err;
    }
    return sendOnce(target, request, true);
  }
}

async function sendOnce(
  target: IHttpTarget,
  request: IHttpRequest,
  forceRefresh: boolean
): Promise<IHttpAnswer> {
  const headers: { [name: string]: string } = {
    Accept: request.expect === 'text' ? '*/*' : 'application/json'
  };
  if (request.auth !== false && target.authorizationHeader) {
    // Errors of the login session (login needed) propagate unchanged.
    const value = await target.authorizationHeader(
      forceRefresh ? { forceRefresh } : undefined
    );
    if (value) {
      headers.Authorization = value;
    }
  }
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['Content-Type'] = 'application/json';
  }
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal
    ? AbortSignal.any([request.signal, timeout])
    : timeout;
  let url = `${target.address}${request.path}`;
  let response: Response;
  let text: string;
  try {
    // Redirects are followed by hand, and only within the gateway's own
    // origin: a gateway must not be able to send the sidecar (and its
    // token) to another host.
    for (let hops = 0; ; hops++) {
      response = await target.fetch(url, {
        method: request.method ?? 'GET',
        headers,
        body,
        signal,
        redirect: 'manual'
      });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status > 399 || !location) {
        break;
      }
      await response.body?.cancel();
      const next = new URL(location, url);
      if (
        next.origin !== new URL(target.address).origin ||
        hops >= MAX_REDIRECTS
      ) {
        throw new GatewayError(
          'server',
          target.site,
          `the gateway at ${target.address} redirected to ${redact(next.origin)}` +
            (hops >= MAX_REDIRECTS ? ' too many times' : ', another host') +
            `: not followed; check the site's gateway address`,
          { status: response.status, cluster: request.cluster }
        );
      }
      url = next.href;
    }
    text = await response.text();
  } catch (err) {
    if (err instanceof GatewayError) {
      throw err;
    }
    if (request.signal?.aborted) {
      throw request.signal.reason;
    }
    if (timeout.aborted || isTimeout(err)) {
      throw new GatewayError(
        'timeout',
        target.site,
        `the gateway at ${target.address} did not answer within ` +
          `${seconds(request.timeoutMs)}: the site may be overloaded or ` +
          `unreachable; try again later`,
        { cluster: request.cluster }
      );
    }
    const reason = networkReason(err);
    throw new GatewayError(
      'unreachable',
      target.site,
      `the gateway at ${target.address} is unreachable` +
        (reason ? ` (${reason})` : '') +
        `: check that the site is up and its gateway address is right`,
      { cluster: request.cluster, cause: err }
    );
  }
  if (response.status >= 200 && response.status < 300) {
    if (request.expect === 'text') {
      return { status: response.status, body: text };
    }
    if (!text.trim()) {
      return { status: response.status, body: undefined };
    }
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch {
      throw notGatewayAnswer(target, request, response);
    }
  }
  throw errorForStatus(target, request, response, text);
}

function errorForStatus(
  target: IHttpTarget,
  request: IHttpRequest,
  response: Response,
  text: string
): GatewayError {
  const status = response.status;
  const detail = errorText(text);
  const cluster = request.cluster;
  const which = cluster ? `cluster ${shortCluster(cluster)}` : '';
  const unauthorizedDetail = detail.replace(/^Unauthorized:?\s*/i, '');
  const said = unauthorizedDetail
    ? ` (gateway said: ${unauthorizedDetail})`
    : '';
  const make = (kind: GatewayErrorKind, message: string) =>
    new GatewayError(kind, target.site, message, { status, detail, cluster });
  switch (status) {
    case 401:
      return make(
        'unauthorized',
        `the gateway refused the login (401): log in again${said}`
      );
    case 403:
      return make(
        'forbidden',
        `the gateway does not allow this (403)${detail ? `: ${detail}` : ''}` +
          (cluster
            ? ''
            : `; ask the site's administrators for access to Dask Gateway`)
      );
    case 404:
      return cluster
        ? make(
            'not-found',
            `${which} was not found (404): it may have been stopped and forgotten`
          )
        : make(
            'not-found',
            `the gateway at ${target.address} has no ${pathOnly(request.path)} ` +
              `(404): check the site's gateway address`
          );
    case 409:
      return make(
        'conflict',
        `${which || 'the cluster'} is not running (409)` +
          (detail && !/not running/i.test(detail) ? `: ${detail}` : '')
      );
    case 400:
    case 422:
      return make(
        'invalid',
        `${request.invalidMessage ?? `the gateway rejected the request (${status})`}` +
          `: ${detail || 'no reason given'}`
      );
    case 502:
    case 503:
    case 504:
      return make(
        'unreachable',
        `the gateway at ${target.address} is unreachable (${status}` +
          `${response.statusText ? ` ${response.statusText}` : ''})` +
          `: the site may be down; try again later`
      );
    default:
      return make(
        'server',
        `the gateway failed (${status})${detail ? `: ${detail}` : ''}` +
          `; try again later or tell the site's administrators`
      );
  }
}

function notGatewayAnswer(
  target: IHttpTarget,
  request: IHttpRequest,
  response: Response
): GatewayError {
  const type = (response.headers.get('content-type') ?? 'no content type')
    .split(';')[0]
    .trim();
  return new GatewayError(
    'server',
    target.site,
    `the answer of ${target.address}${pathOnly(request.path)} is not a Dask ` +
      `Gateway answer (${type}): check the site's gateway address`,
    { status: response.status, cluster: request.cluster }
  );
}

/** The gateway's `{"error": "..."}`, or a short piece of a plain-text answer. */
function errorText(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) {
    return '';
  }
  try {
    const parsed = JSON.parse(trimmed) as {
      error?: unknown;
      message?: unknown;
    };
    const value = parsed?.error ?? parsed?.message;
    if (typeof value === 'string') {
      return redact(value).slice(0, 500);
    }
  } catch {
    // not JSON
  }
  if (trimmed.startsWith('<')) {
    const title = /<title>([^<]*)<\/title>/i.exec(trimmed);
    return title ? redact(title[1].trim()).slice(0, 200) : '';
  }
  return redact(trimmed).slice(0, 200);
}

function isTimeout(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'TimeoutError'
  );
}

function pathOnly(path: string): string {
  return path.split('?')[0];
}

function seconds(ms: number): string {
  if (ms < 1000) {
    return `${ms} ms`;
  }
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
