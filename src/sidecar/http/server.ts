/**
 * The sidecar's HTTP server: authenticates callers by secret, routes,
 * validates JSON bodies, and turns errors into `{"error": ...}` answers.
 * Paths outside the route table (dashboard links) and WebSocket upgrades
 * are handed to the given handlers, after the same caller check. Public
 * handlers (dashboard frames, which carry a capability instead of a
 * secret) get their paths before any caller check.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http';
import type { Duplex } from 'node:stream';

import { errorAnswer, HttpError, type SidecarErrorCode } from './error-answers';
import { checkPath } from './paths';
import { discardBody, sendError, sendHtml, sendJson } from './replies';
import { matchRoute, type Caller, type IReply, type IRoute } from './router';
import type { CallerCheck } from './secrets';

const MAX_BODY_BYTES = 64 * 1024;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const BASE_URL_HEADER = 'x-dask-sites-base-url';

export interface IPassThrough {
  /** Handles the request if it is one of its paths; returns false otherwise. */
  (
    req: IncomingMessage,
    res: ServerResponse,
    caller: Caller | undefined,
    baseUrl: string
  ): boolean;
}

export interface IUpgradeHandler {
  (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    caller: Caller | undefined,
    baseUrl: string
  ): boolean;
}

export interface IHttpServerOptions {
  routes: IRoute[];
  callers: CallerCheck;
  /** For the browser (the server secret) only. */
  passThrough?: IPassThrough[];
  upgrades?: IUpgradeHandler[];
  /** For anyone: they authenticate requests themselves (by capability). */
  publicPassThrough?: IPassThrough[];
  publicUpgrades?: IUpgradeHandler[];
  /**
   * Settles when the sidecar knows its state (saved logins restored): routes
   * that need a caller answer only after it, so a restart never shows a
   * logged-out moment. Public routes (health) answer at once.
   */
  ready?: Promise<unknown>;
  log?: (line: string) => void;
}

export function createHttpServer(options: IHttpServerOptions): Server {
  const log =
    options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server = createServer((req, res) => {
    handle(req, res).catch(err => {
      log(
        `sidecar: ${req.method} ${pathOf(req)} failed: ${(err as Error).stack ?? err}`
      );
      if (!res.headersSent) {
        sendError(res, 'internal', 'internal error in the Dask Sites sidecar');
      } else {
        res.destroy();
      }
    });
  });

  async function handle(
    req: IncomingMessage,
    res: ServerResponse
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sidecar');
    const caller = options.callers.identify(req.headers.authorization);
    const baseUrl = baseUrlOf(req);
    // A refusal answered before the body is read resets the connection, and
    // the Jupyter proxy turns that into its own 500 page: read it first.
    const refuse = async (code: SidecarErrorCode, message: string) => {
      await discardBody(req);
      sendError(res, code, message);
    };
    // The raw path: URL parsing would already have resolved `%2e%2e` and `..`.
    const path = checkPath(pathOf(req));
    if (!path.ok) {
      return refuse(
        caller ? 'invalid-request' : 'not-authorised',
        caller ? path.problem : 'not authorised'
      );
    }
    for (const passThrough of options.publicPassThrough ?? []) {
      if (passThrough(req, res, caller, baseUrl)) {
        return;
      }
    }
    const match = matchRoute(options.routes, req.method ?? 'GET', url.pathname);
    if (match.kind === 'none') {
      if (caller === 'server') {
        for (const passThrough of options.passThrough ?? []) {
          if (passThrough(req, res, caller, baseUrl)) {
            return;
          }
        }
      }
      return caller
        ? refuse('unknown-route', 'not found')
        : refuse('not-authorised', 'not authorised');
    }
    if (match.kind === 'wrong-method') {
      res.setHeader('Allow', match.allowed.join(', '));
      return refuse('method-not-allowed', 'method not allowed');
    }
    const { route, params } = match;
    if (route.callers.length && !(caller && route.callers.includes(caller))) {
      res.setHeader('WWW-Authenticate', 'token');
      return caller
        ? refuse('caller-not-allowed', 'this caller may not use this route')
        : refuse('not-authorised', 'missing or wrong secret');
    }
    if (route.callers.length && options.ready) {
      await options.ready;
    }
    let reply: IReply;
    try {
      const body = route.body
        ? route.body.parse(await readJson(req))
        : await discardBody(req);
      reply = await route.handle({
        req,
        url,
        params,
        body: route.body ? body : undefined,
        caller,
        baseUrl
      });
    } catch (err) {
      const known = errorAnswer(err) ?? zodError(err);
      if (!known) {
        throw err;
      }
      return sendError(res, known.code, known.message);
    }
    if (reply.html !== undefined) {
      return sendHtml(res, reply.status, reply.html);
    }
    if (reply.redirect !== undefined) {
      res.writeHead(reply.status, {
        Location: reply.redirect,
        'Cache-Control': 'no-store'
      });
      res.end();
      return;
    }
    if (reply.body === undefined) {
      res.writeHead(reply.status, { 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    sendJson(res, reply.status, reply.body);
  }

  server.on('upgrade', (req, socket, head) => {
    // Node drops its own error handler on upgrade; a reset peer must not crash us.
    socket.on('error', () => socket.destroy());
    const caller = options.callers.identify(req.headers.authorization);
    if (checkPath(pathOf(req)).ok) {
      for (const upgrade of options.publicUpgrades ?? []) {
        if (upgrade(req, socket, head, caller, baseUrlOf(req))) {
          return;
        }
      }
    }
    if (caller !== 'server') {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    for (const upgrade of options.upgrades ?? []) {
      if (upgrade(req, socket, head, caller, baseUrlOf(req))) {
        return;
      }
    }
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  return server;
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0];
}

function baseUrlOf(req: IncomingMessage): string {
  const header = req.headers[BASE_URL_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  return value && value.startsWith('/') ? value : '/dask-sites/';
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      await discardBody(req); // the rest, so the answer reaches the client
      throw new HttpError(
        'body-too-large',
        `request body larger than ${MAX_BODY_BYTES} bytes`
      );
    }
    chunks.push(chunk as Buffer);
  }
  let text: string;
  try {
    text = STRICT_UTF8.decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(
      'invalid-request',
      'the request body is not valid UTF-8'
    );
  }
  if (!text.trim()) {
    return {};
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(
      'invalid-request',
      'the request body is not valid JSON'
    );
  }
}

/** zod's errors, as one line naming each bad field. */
function zodError(err: unknown): HttpError | undefined {
  const issues = (
    err as { issues?: { path: PropertyKey[]; message: string }[] }
  ).issues;
  if (!Array.isArray(issues) || (err as Error).name !== 'ZodError') {
    return undefined;
  }
  const text = issues
    .map(
      i =>
        `${i.path.length ? i.path.map(String).join('.') : 'body'}: ${i.message}`
    )
    .join('; ');
  return new HttpError('invalid-request', `invalid request: ${text}`);
}
