/**
 * A cluster's dashboard (pages, plots, their WebSockets), served to the
 * browser under a capability and never on the Jupyter origin's authority.
 *
 * Two doors:
 * - `dashboard/<site>/<cluster>/<path>` is the stable link (the panel's
 *   panes, the kernel's `dashboard_link`). Only the authenticated browser
 *   reaches it (through Jupyter); it serves nothing itself, but issues a
 *   capability for that cluster and redirects to
 * - `frame/<capability>/<path>`, which forwards to
 *   `<site gateway>/clusters/<cluster>/<path>`. It needs no credential but
 *   the capability, so the page can run with an opaque origin (the frame's
 *   sandbox, and the `sandbox` CSP of every answer, even in a tab of its
 *   own): it can read no Jupyter cookie, call no Jupyter API as the user
 *   and script no other window.
 *
 * The target host comes only from the registry, and only for a cluster the
 * logged-in user has there (Dask Gateway does not check who asks for a
 * dashboard). What is forwarded of a request is allow-listed
 * (`request.ts`). Dashboards use absolute links under `/clusters/<cluster>/`;
 * text answers are rewritten so those links stay under the capability.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import { createProxyServer } from 'http-proxy-3';

import { HTTP_STATUS, type SidecarErrorCode } from '../http/error-answers';
import { checkPath } from '../http/paths';
import { discardBody, escapeHtml, sendError, sendHtml } from '../http/replies';
import type { DashboardCapabilities, IDashboardGrant } from './capabilities';
import { dashboardHeaders, dashboardQuery } from './request';

export interface IDashboardOptions {
  /**
   * The gateway base URL serving a cluster's dashboard, or undefined when
   * the site is not configured or the cluster is not the logged-in user's.
   */
  gatewayOf(site: string, cluster: string): Promise<string | undefined>;
  capabilities: DashboardCapabilities;
}

const LINK_PREFIX = 'dashboard';
const FRAME_PREFIX = 'frame';
// Gateway cluster names: hex ids, or `namespace.hex` on Kubernetes.
const CLUSTER_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
// Dashboards are read, never written to: anything else is refused.
const METHODS = new Set(['GET', 'HEAD']);
/**
 * What of a dashboard's answer reaches the browser: what a page, its files
 * and plots need, nothing else. A hostile dashboard must not set cookies,
 * clear the Jupyter origin's storage (`Clear-Site-Data`), pin it to HTTPS
 * (`Strict-Transport-Security`) or reload the frame elsewhere (`Refresh`).
 */
const PASSED_RESPONSE_HEADERS = new Set([
  'accept-ranges',
  'cache-control',
  'content-language',
  'content-length',
  'content-range',
  'content-security-policy',
  'content-type',
  'date',
  'etag',
  'expires',
  'last-modified',
  'location',
  'vary'
]);
/**
 * Added to every answer under a capability. `sandbox` without
 * `allow-same-origin` gives the page an opaque origin wherever it is shown
 * (a pane's frame, or a tab of its own); Bokeh needs only scripts. No
 * referrer: the capability is in the URL.
 */
export const FRAME_HEADERS = {
  'Content-Security-Policy':
    "sandbox allow-scripts allow-downloads; frame-ancestors 'self'",
  'Referrer-Policy': 'no-referrer'
};
const REFUSED =
  'no such dashboard: the site is not configured, or the cluster is not one of yours there';
const EXPIRED =
  'this dashboard link has expired (it was unused for a while, or the server restarted): ' +
  'open the dashboard again from the Dask Sites panel';
const REWRITTEN_TYPES =
  /^(text\/html|text\/css|application\/javascript|text\/javascript|application\/json)/;

/** Where a request goes and how its answer's links are rewritten. */
interface ITarget {
  url: string;
  /** What the dashboard calls itself and what the browser must use instead. */
  from: string;
  to: string;
}

type Refusal = { code: SidecarErrorCode; message: string };

const READ_ONLY: Refusal = {
  code: 'method-not-allowed',
  message: 'dashboards are read-only: GET or HEAD'
};

export class DashboardProxy {
  private readonly proxy = createProxyServer({
    ignorePath: true,
    changeOrigin: true,
    ws: true
  });
  /** The target of each request in flight, for rewriting its answer. */
  private readonly inFlight = new WeakMap<IncomingMessage, ITarget>();

  constructor(private readonly options: IDashboardOptions) {
    this.proxy.on('proxyRes', (proxyRes, req, res) => {
      const target = this.inFlight.get(req);
      if (target) {
        this.inFlight.delete(req);
        relay(proxyRes, res, target);
      }
    });
    this.proxy.on('error', (err, _req, res) => {
      const message = `the dashboard is unreachable (${(err as NodeJS.ErrnoException).code ?? err.message})`;
      if (res && 'writeHead' in res && !(res as ServerResponse).headersSent) {
        sendError(res as ServerResponse, 'dashboard-unreachable', message);
      } else {
        (res as Duplex | undefined)?.destroy();
      }
    });
  }

  /**
   * The stable link, for the authenticated browser only: a fresh capability
   * for that cluster, and a redirect to the page under it.
   */
  handleLink = (
    req: IncomingMessage,
    res: ServerResponse,
    _caller: string | undefined,
    baseUrl: string
  ): boolean => {
    const asked = parse(req, LINK_PREFIX, 2);
    if (!asked) {
      return false;
    }
    void this.link(req, asked, baseUrl).then(answer =>
      'code' in answer
        ? refuse(req, res, answer)
        : void discardBody(req).then(() => {
            res.writeHead(302, {
              Location: answer.location,
              'Cache-Control': 'no-store',
              ...FRAME_HEADERS
            });
            res.end();
          })
    );
    return true;
  };

  /** A page under a capability: for anyone who has the capability. */
  handleFrame = (
    req: IncomingMessage,
    res: ServerResponse,
    _caller: string | undefined,
    baseUrl: string
  ): boolean => {
    const asked = parse(req, FRAME_PREFIX, 1);
    if (!asked) {
      return false;
    }
    void this.frameTarget(req, asked, baseUrl, false).then(target => {
      if ('code' in target) {
        refuse(req, res, target);
        return;
      }
      req.headers = dashboardHeaders(req.headers, false);
      req.headers['accept-encoding'] = 'identity'; // so text answers can be rewritten
      this.inFlight.set(req, target);
      this.proxy.web(req, res, {
        target: target.url,
        selfHandleResponse: true
      });
    });
    return true;
  };

  /** A dashboard's WebSocket (Bokeh's), under a capability. */
  handleFrameUpgrade = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    _caller: string | undefined,
    baseUrl: string
  ): boolean => {
    const asked = parse(req, FRAME_PREFIX, 1);
    if (!asked) {
      return false;
    }
    // Watched from now: a socket closed while the capability is checked
    // must not keep it alive for ever.
    let closed = false;
    socket.once('close', () => {
      closed = true;
    });
    void this.frameTarget(req, asked, baseUrl, true).then(target => {
      if ('code' in target) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      if (closed || socket.destroyed) {
        return;
      }
      const release = this.options.capabilities.hold(asked.names[0], socket);
      socket.once('close', release);
      req.headers = dashboardHeaders(req.headers, true);
      this.proxy.ws(req, socket, head, { target: target.url });
    });
    return true;
  };

  private async link(
    req: IncomingMessage,
    asked: IAsked,
    baseUrl: string
  ): Promise<{ location: string } | Refusal> {
    const [site, cluster] = asked.names;
    if (!METHODS.has(req.method ?? '')) {
      return READ_ONLY;
    }
    if (!CLUSTER_NAME.test(cluster) || !(await this.gatewayOf(site, cluster))) {
      return { code: 'unknown-dashboard', message: REFUSED };
    }
    const capability = this.options.capabilities.issue({ site, cluster });
    return {
      location: `${baseUrl}${FRAME_PREFIX}/${capability}/${asked.rest}${asked.query}`
    };
  }

  private async frameTarget(
    req: IncomingMessage,
    asked: IAsked,
    baseUrl: string,
    ws: boolean
  ): Promise<ITarget | Refusal> {
    if (!ws && !METHODS.has(req.method ?? '')) {
      return READ_ONLY;
    }
    const capability = asked.names[0];
    const grant = this.options.capabilities.use(capability);
    if (!grant) {
      return { code: 'dashboard-link-expired', message: EXPIRED };
    }
    const gateway = await this.gatewayOf(grant.site, grant.cluster);
    if (!gateway) {
      return { code: 'unknown-dashboard', message: REFUSED };
    }
    return target(
      gateway,
      grant,
      asked,
      ws,
      `${baseUrl}${FRAME_PREFIX}/${capability}/`
    );
  }

  private gatewayOf(
    site: string,
    cluster: string
  ): Promise<string | undefined> {
    return this.options.gatewayOf(site, cluster).catch(() => undefined);
  }
}

/** A request's names after the prefix (site and cluster, or the capability), and the rest. */
interface IAsked {
  names: string[];
  /** The rest of the path as it came (each segment checked by `checkPath`). */
  rest: string;
  /** The query without Jupyter's parameters. */
  query: string;
}

/** Parse `/<prefix>/<names...>/<rest>`; undefined when the path is not under `prefix`. */
function parse(
  req: IncomingMessage,
  prefix: string,
  count: number
): IAsked | undefined {
  const raw = req.url ?? '/';
  const index = raw.indexOf('?');
  const path = index === -1 ? raw : raw.slice(0, index);
  const check = checkPath(path);
  if (
    !check.ok ||
    check.segments[0] !== prefix ||
    check.segments.length < count + 1
  ) {
    return undefined;
  }
  const rawSegments = path.replace(/^\/+/, '').split('/');
  return {
    names: check.segments.slice(1, count + 1),
    rest: rawSegments.slice(count + 1).join('/'),
    query: dashboardQuery(index === -1 ? '' : raw.slice(index))
  };
}

/** The URL a granted request goes to, judged as it will be sent. */
function target(
  gateway: string,
  grant: IDashboardGrant,
  asked: IAsked,
  ws: boolean,
  under: string
): ITarget | Refusal {
  const origin = new URL(gateway);
  if (ws) {
    origin.protocol = origin.protocol === 'https:' ? 'wss:' : 'ws:';
  }
  const prefix = `${origin.pathname.replace(/\/$/, '')}/clusters/${grant.cluster}/`;
  const url = new URL(`${origin.origin}${prefix}${asked.rest}${asked.query}`);
  // It must stay inside this cluster's dashboard on this gateway.
  if (url.origin !== origin.origin || !url.pathname.startsWith(prefix)) {
    return { code: 'unknown-dashboard', message: REFUSED };
  }
  return { url: url.href, from: `/clusters/${grant.cluster}/`, to: under };
}

/**
 * Refuse after reading the body (else the connection resets and Jupyter
 * answers with its own 500 page); a page load gets the message as a page.
 */
function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  refusal: Refusal
): void {
  void discardBody(req).then(() => {
    if (refusal.code === 'method-not-allowed') {
      res.setHeader('Allow', 'GET, HEAD');
    }
    if (/text\/html/.test(String(req.headers.accept ?? ''))) {
      sendHtml(res, HTTP_STATUS[refusal.code], refusalPage(refusal.message));
    } else {
      sendError(res, refusal.code, refusal.message);
    }
  });
}

function refusalPage(message: string): string {
  const text = escapeHtml(message);
  return (
    '<!doctype html><meta charset="utf-8"><title>Dask dashboard</title>' +
    '<style>body{font:14px sans-serif;margin:2em;color:#555}</style>' +
    `<p>${text}</p>`
  );
}

/** Send the dashboard's answer on, its links under the capability, its frame headers added. */
function relay(
  proxyRes: IncomingMessage,
  res: ServerResponse,
  target: ITarget
): void {
  const headers: Record<string, string | string[] | number | undefined> = {};
  for (const [name, value] of Object.entries(proxyRes.headers)) {
    if (PASSED_RESPONSE_HEADERS.has(name)) {
      headers[name] = value;
    }
  }
  if (typeof headers.location === 'string') {
    // A redirect stays on this origin (a path), never to another one.
    const location = headers.location.replace(target.from, target.to);
    if (/^([a-z][a-z0-9+.-]*:|[\\/]{2})/i.test(location.trim())) {
      delete headers.location;
    } else {
      headers.location = location;
    }
  }
  // The dashboard's own policy (if any) still applies; ours is added to it.
  const own = headers['content-security-policy'];
  delete headers['content-security-policy'];
  headers['content-security-policy'] = [
    ...(own === undefined ? [] : [own].flat().map(String)),
    FRAME_HEADERS['Content-Security-Policy']
  ];
  headers['referrer-policy'] = FRAME_HEADERS['Referrer-Policy'];
  const type = String(headers['content-type'] ?? '');
  if (!REWRITTEN_TYPES.test(type)) {
    res.writeHead(proxyRes.statusCode ?? 502, headers);
    proxyRes.pipe(res);
    return;
  }
  const chunks: Buffer[] = [];
  proxyRes.on('data', (chunk: Buffer) => chunks.push(chunk));
  proxyRes.on('end', () => {
    const text = Buffer.concat(chunks)
      .toString('utf8')
      .split(target.from)
      .join(target.to);
    delete headers['content-length'];
    res.writeHead(proxyRes.statusCode ?? 502, {
      ...headers,
      'content-length': Buffer.byteLength(text)
    });
    res.end(text);
  });
}
