/**
 * Proxies a cluster's dashboard (pages, plots, their WebSockets) from
 * `/dashboard/<site>/<cluster>/<path>` to `<site gateway>/clusters/<cluster>/<path>`.
 *
 * The target host comes only from the registry: a request can name a site
 * and a cluster, never a host, and only a cluster the logged-in user has
 * there (Dask Gateway does not check who asks for a dashboard). What is
 * forwarded of the request is allow-listed (`dashboard-request.ts`).
 * Dashboards use absolute links under `/clusters/<cluster>/`; text answers
 * are rewritten so those links point back through this proxy.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import { createProxyServer } from 'http-proxy-3';

import { dashboardHeaders, dashboardQuery } from './dashboard-request';
import { discardBody, sendError } from './replies';

export interface IDashboardOptions {
  /**
   * The gateway base URL serving a cluster's dashboard, or undefined when
   * the site is not configured or the cluster is not the logged-in user's.
   */
  gatewayOf(site: string, cluster: string): Promise<string | undefined>;
}

/** A request's site, cluster and the rest of its path, as asked for. */
interface IAsked {
  site: string;
  cluster: string;
  rest: string[];
  query: string;
}

const PREFIX = '/dashboard/';
// Gateway cluster names: hex ids, or `namespace.hex` on Kubernetes.
const CLUSTER_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
// Dropped from dashboard answers: cookies must not land on the Jupyter origin.
const DROPPED_RESPONSE_HEADERS = [
  'set-cookie',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-authenticate',
  'proxy-connection'
];
const REFUSED =
  'no such dashboard: the site is not configured, or the cluster is not one of yours there';
const REWRITTEN_TYPES =
  /^(text\/html|text\/css|application\/javascript|text\/javascript|application\/json)/;

interface ITarget {
  site: string;
  cluster: string;
  url: string;
  /** What the dashboard calls itself and what the browser must use instead. */
  from: string;
  to: string;
}

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

  /** Parse `/dashboard/<site>/<cluster>/<rest>`; undefined when not ours. */
  private asked(req: IncomingMessage): IAsked | 'refused' | undefined {
    const raw = req.url ?? '/';
    if (!raw.startsWith(PREFIX)) {
      return undefined;
    }
    const [pathPart, query] = splitQuery(raw.slice(PREFIX.length));
    const [site, cluster, ...rest] = pathPart.split('/');
    if (
      !site ||
      !CLUSTER_NAME.test(cluster ?? '') ||
      rest.some(p => /^(\.|%2e){1,2}$/i.test(p) || /%2f|%5c|\\/i.test(p))
    ) {
      return 'refused';
    }
    return {
      site: safeDecode(site),
      cluster,
      rest,
      query: dashboardQuery(query)
    };
  }

  /** Where an asked-for dashboard is; 'refused' unless the user may see it. */
  private async target(
    asked: IAsked,
    baseUrl: string,
    ws: boolean
  ): Promise<ITarget | 'refused'> {
    const { site, cluster, rest, query } = asked;
    const gateway = site
      ? await this.options.gatewayOf(site, cluster).catch(() => undefined)
      : undefined;
    if (!gateway) {
      return 'refused';
    }
    const origin = new URL(gateway);
    if (ws) {
      origin.protocol = origin.protocol === 'https:' ? 'wss:' : 'ws:';
    }
    const prefix = `${origin.pathname.replace(/\/$/, '')}/clusters/${cluster}/`;
    const url = new URL(`${origin.origin}${prefix}${rest.join('/')}${query}`);
    // Judge the URL as it will be sent (after dot segments and escapes are
    // resolved): it must stay inside this cluster's dashboard on this gateway.
    if (url.origin !== origin.origin || !url.pathname.startsWith(prefix)) {
      return 'refused';
    }
    const sitePath = encodeURIComponent(site);
    return {
      site,
      cluster,
      url: url.href,
      from: `/clusters/${cluster}/`,
      to: `${baseUrl}dashboard/${sitePath}/${cluster}/`
    };
  }

  handleHttp = (
    req: IncomingMessage,
    res: ServerResponse,
    _caller: string,
    baseUrl: string
  ): boolean => {
    const asked = this.asked(req);
    if (asked === undefined) {
      return false;
    }
    void (
      asked === 'refused'
        ? Promise.resolve(asked)
        : this.target(asked, baseUrl, false)
    ).then(target => {
      if (target === 'refused') {
        void discardBody(req).then(() =>
          sendError(res, 'unknown-dashboard', REFUSED)
        );
      } else {
        this.forward(req, res, target);
      }
    });
    return true;
  };

  handleUpgrade = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    _caller: string,
    baseUrl: string
  ): boolean => {
    const asked = this.asked(req);
    if (asked === undefined) {
      return false;
    }
    void (
      asked === 'refused'
        ? Promise.resolve(asked)
        : this.target(asked, baseUrl, true)
    ).then(target => {
      if (target === 'refused') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      req.headers = dashboardHeaders(req.headers, true);
      this.proxy.ws(req, socket, head, { target: target.url });
    });
    return true;
  };

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: ITarget
  ): void {
    req.headers = dashboardHeaders(req.headers, false);
    req.headers['accept-encoding'] = 'identity'; // so text answers can be rewritten
    this.inFlight.set(req, target);
    this.proxy.web(req, res, { target: target.url, selfHandleResponse: true });
  }
}

/** Send the dashboard's answer on, pointing its links back through the proxy. */
function relay(
  proxyRes: IncomingMessage,
  res: ServerResponse,
  target: ITarget
): void {
  const headers = { ...proxyRes.headers };
  for (const name of DROPPED_RESPONSE_HEADERS) {
    delete headers[name];
  }
  if (typeof headers.location === 'string') {
    headers.location = headers.location.replace(target.from, target.to);
  }
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
    delete headers['transfer-encoding'];
    res.writeHead(proxyRes.statusCode ?? 502, {
      ...headers,
      'content-length': Buffer.byteLength(text)
    });
    res.end(text);
  });
}

function splitQuery(text: string): [string, string] {
  const index = text.indexOf('?');
  return index === -1 ? [text, ''] : [text.slice(0, index), text.slice(index)];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
}
