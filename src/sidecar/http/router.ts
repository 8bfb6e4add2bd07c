/**
 * A small router: routes are `METHOD /path/:param`, each says who may call
 * it and, for a JSON body, the zod schema that body must satisfy.
 */
import type { IncomingMessage } from 'node:http';

import type { ZodType } from 'zod';

/** Who sent a request, proven by the secret it carries. */
export type Caller = 'server' | 'kernel';

export interface IRequestContext {
  req: IncomingMessage;
  url: URL;
  params: { [name: string]: string };
  /** The parsed, validated JSON body (undefined without a body schema). */
  body: unknown;
  caller: Caller | undefined;
  /** `<base_url>dask-sites/` as the browser sees it (from the Jupyter proxy). */
  baseUrl: string;
}

export interface IReply {
  status: number;
  /** JSON-encoded unless `html` is set. */
  body?: unknown;
  html?: string;
  /** `Location` of a redirect (`status` 303): only addresses the sidecar built. */
  redirect?: string;
}

export interface IRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/api/sites/:site/clusters/:cluster`. */
  path: string;
  /** Callers allowed; empty for public routes (health). */
  callers: Caller[];
  body?: ZodType;
  handle(context: IRequestContext): Promise<IReply> | IReply;
}

export type RouteMatch =
  | { kind: 'found'; route: IRoute; params: { [name: string]: string } }
  | { kind: 'wrong-method'; allowed: string[] }
  | { kind: 'none' };

export function matchRoute(
  routes: IRoute[],
  method: string,
  path: string
): RouteMatch {
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (!params) {
      continue;
    }
    if (route.method === method) {
      return { kind: 'found', route, params };
    }
    allowed.push(route.method);
  }
  return allowed.length ? { kind: 'wrong-method', allowed } : { kind: 'none' };
}

function matchPath(
  pattern: string,
  path: string
): { [name: string]: string } | undefined {
  const want = pattern.split('/');
  const have = path.split('/');
  if (want.length !== have.length) {
    return undefined;
  }
  const params: { [name: string]: string } = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (!have[i]) {
        return undefined;
      }
      try {
        params[want[i].slice(1)] = decodeURIComponent(have[i]);
      } catch {
        return undefined;
      }
    } else if (want[i] !== have[i]) {
      return undefined;
    }
  }
  return params;
}
