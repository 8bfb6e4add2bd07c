/**
 * The one error type of the sidecar client: what failed, the HTTP status and
 * the server's own message (which names the cause and, where known, the fix).
 */
import {
  isErrorCode,
  type ErrorCode,
  type IErrorResponse
} from '../../protocol';

export class SidecarError extends Error {
  constructor(options: SidecarError.IOptions) {
    super(options.message);
    this.name = 'SidecarError';
    this.status = options.status;
    this.code = options.code;
    this.method = options.method;
    this.path = options.path;
  }

  /** HTTP status; 0 when the Jupyter server did not answer at all. */
  readonly status: number;
  /** The sidecar's machine-readable reason (`login-needed`, `gateway-unreachable`, ...), or `network`. */
  readonly code: ErrorCode | undefined;
  readonly method: string;
  /** Path under `dask-sites/`, e.g. `api/sites/lumi/clusters`. */
  readonly path: string;

  /** True when logging in (again) is the fix. */
  get needsLogin(): boolean {
    return this.code === 'login-needed' || this.code === 'gateway-unauthorized';
  }

  /** Build the error of a failed response, from its `{"error": ...}` body if it has one. */
  static async fromResponse(
    response: Response,
    method: string,
    path: string
  ): Promise<SidecarError> {
    let body: Partial<IErrorResponse> | undefined;
    try {
      body = (await response.json()) as Partial<IErrorResponse>;
    } catch {
      body = undefined;
    }
    const message =
      typeof body?.error === 'string' && body.error
        ? body.error
        : Private.fallbackMessage(response.status, response.statusText);
    return new SidecarError({
      status: response.status,
      code: isErrorCode(body?.code) ? body.code : undefined,
      message,
      method,
      path
    });
  }

  /** The Jupyter server did not answer (network down, server stopped). */
  static network(cause: unknown, method: string, path: string): SidecarError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new SidecarError({
      status: 0,
      code: 'network',
      message: `the Jupyter server does not answer (${detail}); check that it is still running`,
      method,
      path
    });
  }
}

export namespace SidecarError {
  export interface IOptions {
    status: number;
    code?: ErrorCode;
    message: string;
    method: string;
    path: string;
  }
}

namespace Private {
  /** A failure without the sidecar's JSON body: the proxy or the server answered. */
  export function fallbackMessage(status: number, statusText: string): string {
    const what = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
    if (status === 404) {
      return `${what}: the Dask Sites server extension is not enabled (jupyter server extension enable jupyter_ext_server)`;
    }
    if (status === 403) {
      return `${what}: the Jupyter server refused the request; reload the page to renew the login`;
    }
    if (status >= 500) {
      return `${what}: the Dask Sites sidecar is not running or crashed; see the Jupyter server log`;
    }
    return what;
  }
}
