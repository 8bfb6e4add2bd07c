/**
 * The sidecar's HTTP API (first version: health and the site list).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http';

import type {
  IErrorResponse,
  IHealthResponse,
  ISiteRegistry,
  ISitesResponse
} from '../protocol';

export interface IServerOptions {
  registry: ISiteRegistry;
  secret: string;
  version: string;
}

type Handler = (req: IncomingMessage) => { status: number; body: unknown };

interface IRoute {
  method: string;
  path: string;
  /** Does the route need `Authorization: token <secret>`? */
  auth: boolean;
  handle: Handler;
}

export function createSidecarServer(options: IServerOptions): Server {
  const routes: IRoute[] = [
    {
      method: 'GET',
      path: '/api/health',
      auth: false,
      handle: () => ({
        status: 200,
        body: { status: 'ok', version: options.version } as IHealthResponse
      })
    },
    {
      method: 'GET',
      path: '/api/sites',
      auth: true,
      handle: () => ({
        status: 200,
        body: {
          sites: options.registry.sites.map(({ name, label, colour }) => ({
            name,
            label,
            ...(colour ? { colour } : {})
          }))
        } as ISitesResponse
      })
    }
  ];
  const checkToken = tokenChecker(options.secret);

  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://sidecar').pathname;
    const forPath = routes.filter(r => r.path === path);
    if (!forPath.length) {
      return sendError(res, 404, 'not found');
    }
    const route = forPath.find(r => r.method === req.method);
    if (!route) {
      res.setHeader('Allow', forPath.map(r => r.method).join(', '));
      return sendError(res, 405, 'method not allowed');
    }
    if (route.auth && !checkToken(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'token');
      return sendError(res, 401, 'missing or wrong token');
    }
    try {
      const { status, body } = route.handle(req);
      sendJson(res, status, body);
    } catch (err) {
      process.stderr.write(`sidecar: ${req.method} ${path} failed: ${err}\n`);
      sendError(res, 500, 'internal error');
    }
  });
}

/** Constant-time comparison of `Authorization: token <secret>`. */
function tokenChecker(secret: string): (header?: string) => boolean {
  const expected = digest(secret);
  return header => {
    const match = /^token\s+(\S+)\s*$/i.exec(header ?? '');
    return !!match && timingSafeEqual(digest(match[1]), expected);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(data),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff'
  });
  res.end(data);
}

function sendError(res: ServerResponse, status: number, error: string): void {
  sendJson(res, status, { error } as IErrorResponse);
}
