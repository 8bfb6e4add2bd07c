/**
 * Proxies a cluster's dashboard (pages, plots, their WebSockets) from
 * `/dashboard/<site>/<cluster>/<path>` to `<site gateway>/clusters/<cluster>/<path>`.
 *
 * The target host comes only from the registry: a request can name a site
 * and a cluster, never a host. Dashboards use absolute links under
 * `/clusters/<cluster>/`; text answers are rewritten so those links point
 * back through this proxy.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import { createProxyServer } from 'http-proxy-3';

import { sendJson } from './server';

export interface IDashboardOptions {
  /** The gateway base URL of a configured site, or undefined if there is no such site. */
  gatewayOf(site: string): string | undefined;
  /** Credentials the site's gateway needs, if any (never the sidecar's own secrets). */
  authorizationOf(site: string): Promise<string | undefined>;
}

const PREFIX = '/dashboard/';
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
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
        sendJson(res as ServerResponse, 502, { error: message });
      } else {
        (res as Duplex | undefined)?.destroy();
      }
    });
  }

  /** Parse `/dashboard/<site>/<cluster>/<rest>`; undefined when not ours or not allowed. */
  private target(
    req: IncomingMessage,
    baseUrl: string,
    ws: boolean
  ): ITarget | 'refused' | undefined {
    const raw = req.url ?? '/';
    if (!raw.startsWith(PREFIX)) {
      return undefined;
    }
    const [pathPart, query] = splitQuery(raw.slice(PREFIX.length));
    const [site, cluster, ...rest] = pathPart.split('/');
    const gateway = site ? this.options.gatewayOf(safeDecode(site)) : undefined;
    if (
      !gateway ||
      !CLUSTER_NAME.test(cluster ?? '') ||
      rest.some(p => p === '..' || p === '.')
    ) {
      return 'refused';
    }
    const origin = new URL(gateway);
    if (ws) {
      origin.protocol = origin.protocol === 'https:' ? 'wss:' : 'ws:';
    }
    const path = `/clusters/${cluster}/${rest.join('/')}`;
    return {
      site,
      cluster,
      url: `${origin.origin}${origin.pathname.replace(/\/$/, '')}${path}${query}`,
      from: `/clusters/${cluster}/`,
      to: `${baseUrl}dashboard/${site}/${cluster}/`
    };
  }

  handleHttp = (
    req: IncomingMessage,
    res: ServerResponse,
    _caller: string,
    baseUrl: string
  ): boolean => {
    const target = this.target(req, baseUrl, false);
    if (target === undefined) {
      return false;
    }
    if (target === 'refused') {
      sendJson(res, 404, { error: 'no such site or cluster dashboard' });
      return true;
    }
    void this.forward(req, res, target);
    return true;
  };

  handleUpgrade = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    _caller: string,
    baseUrl: string
  ): boolean => {
    const target = this.target(req, baseUrl, true);
    if (target === undefined) {
      return false;
    }
    if (target === 'refused') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return true;
    }
    void this.prepare(req, target.site).then(() =>
      this.proxy.ws(req, socket, head, { target: target.url })
    );
    return true;
  };

  private async prepare(req: IncomingMessage, site: string): Promise<void> {
    // The sidecar's own secret and the browser's cookies stay here.
    delete req.headers.authorization;
    delete req.headers.cookie;
    const authorization = await this.options
      .authorizationOf(site)
      .catch(() => undefined);
    if (authorization) {
      req.headers.authorization = authorization;
    }
  }

  private async forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: ITarget
  ): Promise<void> {
    await this.prepare(req, target.site);
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
