/**
 * The HTTP front: one Node `http` server that strips the issuer path
 * prefix, serves the login pages itself and hands everything else to
 * oidc-provider, logging one short line per request to stderr.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Provider } from 'oidc-provider';

import type { Accounts } from './accounts.js';
import { handleInteraction, matchInteractionRoute } from './interactions.js';

/** oidc-provider derives its mount path from these Express-style fields. */
type MountedRequest = IncomingMessage & {
  originalUrl?: string;
  baseUrl?: string;
};

export type RequestHandler = (
  req: IncomingMessage,
  res: ServerResponse
) => void;

// Path segments that identify a sign-in in progress: logged as placeholders.
const REDACTED_SEGMENTS = /\/(interaction|auth|device)\/(?!auth(?:\/|$))[^/]+/g;

/** The path as logged: no query string, no interaction ids. */
export function loggablePath(url: string, issuerPath = ''): string {
  const path = url.split('?', 1)[0] ?? '/';
  if (issuerPath && path.startsWith(issuerPath)) {
    const rest = path.slice(issuerPath.length);
    return issuerPath + rest.replace(REDACTED_SEGMENTS, '/$1/:uid');
  }
  return path.replace(REDACTED_SEGMENTS, '/$1/:uid');
}

function logRequests(
  handler: RequestHandler,
  issuerPath: string
): RequestHandler {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const method = req.method ?? '-';
    const path = loggablePath(req.url ?? '/', issuerPath);
    res.on('close', () => {
      const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
      const status = res.headersSent ? res.statusCode : 0;
      process.stderr.write(`${method} ${path} ${status} ${ms}ms\n`);
    });
    handler(req, res);
  };
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: 'not_found' }));
}

export function createRequestHandler(
  provider: Provider,
  accounts: Accounts,
  issuerPath: string
): RequestHandler {
  const oidc = provider.callback();
  const deps = { provider, accounts, issuerPath };

  return logRequests((req: MountedRequest, res) => {
    const url = req.url ?? '/';
    let inner = url;
    if (issuerPath) {
      const path = url.split('?', 1)[0] ?? '';
      if (path !== issuerPath && !path.startsWith(`${issuerPath}/`)) {
        notFound(res);
        return;
      }
      inner = url.slice(issuerPath.length);
      if (!inner.startsWith('/')) {
        inner = `/${inner}`;
      }
      req.originalUrl = url;
      req.baseUrl = issuerPath;
      req.url = inner;
    }

    const route = matchInteractionRoute(inner.split('?', 1)[0] ?? '');
    if (route) {
      void handleInteraction(req, res, route, deps);
      return;
    }
    oidc(req, res);
  }, issuerPath);
}
