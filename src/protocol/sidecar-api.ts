/**
 * Answers of the sidecar's HTTP API (served under `/dask-sites/` by the
 * Jupyter server). Errors are `{"error": "..."}` with a 4xx/5xx status.
 */
import type { ISiteSummary } from './site-registry';

/** GET /api/health (no secret needed). */
export interface IHealthResponse {
  status: 'ok';
  version: string;
}

/** GET /api/sites. */
export interface ISitesResponse {
  sites: ISiteSummary[];
}

export interface IErrorResponse {
  error: string;
}
