/**
 * What of a browser's request a site's dashboard gets: an allow-list of
 * headers and the query without Jupyter's own parameters.
 *
 * Dask Gateway does not authenticate dashboards, and the scheduler behind
 * them runs user code, so anything credential-like sent there (Jupyter's or
 * JupyterHub's token, the XSRF value, cookies, our secret) could be read by
 * whoever controls that scheduler. Allow-listing what a dashboard needs
 * keeps headers we have never heard of from leaking too.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Headers a dashboard page, its plots and its static files need. */
const PAGE_HEADERS = new Set([
  'accept',
  'accept-language',
  'cache-control',
  'content-length',
  'content-type',
  'if-modified-since',
  'if-none-match',
  'pragma',
  'range',
  'transfer-encoding',
  'user-agent'
]);

/** The WebSocket handshake as well (Bokeh's session token rides in the protocol). */
const SOCKET_HEADERS = new Set([
  ...PAGE_HEADERS,
  'connection',
  'upgrade',
  'sec-websocket-extensions',
  'sec-websocket-key',
  'sec-websocket-protocol',
  'sec-websocket-version'
]);

/** Query parameters Jupyter and JupyterHub read credentials from. */
const JUPYTER_PARAMS = new Set(['token', '_xsrf', 'xsrf', 'access_token']);

/** The headers to send a dashboard: only allow-listed ones. */
export function dashboardHeaders(
  headers: IncomingHttpHeaders,
  socket: boolean
): IncomingHttpHeaders {
  const allowed = socket ? SOCKET_HEADERS : PAGE_HEADERS;
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (allowed.has(name.toLowerCase())) {
      kept[name] = value;
    }
  }
  return kept;
}

/**
 * The query (`?a=1&b=2`, or '') without Jupyter's parameters. Names are
 * compared decoded and case-blind, so `%74oken=` or `TOKEN=` go too.
 */
export function dashboardQuery(query: string): string {
  if (!query.startsWith('?')) {
    return '';
  }
  const kept = query
    .slice(1)
    .split('&')
    .filter(pair => pair !== '' && !JUPYTER_PARAMS.has(paramName(pair)));
  return kept.length ? `?${kept.join('&')}` : '';
}

function paramName(pair: string): string {
  const raw = pair.split('=', 1)[0].replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw).trim().toLowerCase();
  } catch {
    // Not decodable: nothing reads it as a known name either, but be safe.
    return 'token';
  }
}
