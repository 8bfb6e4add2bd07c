/**
 * A Dask Gateway's REST API as a fake `fetch`: routes `METHOD path` to
 * handlers and records every call; plus the gateway's cluster answers and a
 * `GatewayClient` on it, for the gateway client's tests.
 */
import type { IClusterOptionSpec } from '../../../protocol';
import { GatewayClient } from '../../gateway';
import { GatewayError } from '../../gateway/errors';
import type { FetchLike } from '../../gateway/http';

export const ADDRESS = 'http://gw.example:8000';
export const TOKEN =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA';
export const NAME = '3f2a1b2c9d8e7f6a5b4c3d2e1f0a9b8c';

/** The testbed's options, as `GET /api/v1/options` gives them. */
export const TESTBED_OPTIONS: IClusterOptionSpec[] = [
  {
    field: 'worker_cores',
    label: 'Worker cores',
    default: 1,
    spec: { type: 'int', min: 1, max: 2 }
  },
  {
    field: 'worker_memory',
    label: 'Worker memory (GiB)',
    default: 1.0,
    spec: { type: 'float', min: 0.5, max: 4.0 }
  }
];

export const OPTIONS_BODY = { cluster_options: TESTBED_OPTIONS };

export function cluster(name: string, status: string, extra: object = {}) {
  const running = status === 'RUNNING';
  return {
    name,
    dashboard_route: running ? `/clusters/${name}/status` : null,
    status,
    start_time: 1_000_000,
    stop_time: null,
    options: { worker_cores: 1, worker_memory: 1.0 },
    tls_cert: running
      ? '-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n'
      : null,
    tls_key: running
      ? '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n'
      : null,
    ...extra
  };
}

export interface ICall {
  method: string;
  url: string;
  headers: { [name: string]: string };
  body?: unknown;
}

export type Handler = (
  call: ICall,
  signal?: AbortSignal
) => Response | Promise<Response>;

/** A fake gateway: `METHOD path` → handler; records every call. */
export function fakeFetch(routes: {
  [route: string]: Handler;
}): FetchLike & { calls: ICall[] } {
  const calls: ICall[] = [];
  const fake = (async (input: string, init?: RequestInit) => {
    const url = new URL(input);
    const call: ICall = {
      method: init?.method ?? 'GET',
      url: input,
      headers: { ...(init?.headers as { [name: string]: string }) },
      body: init?.body ? JSON.parse(String(init.body)) : undefined
    };
    calls.push(call);
    const key = `${call.method} ${url.pathname}${url.search}`;
    const handler =
      routes[key] ?? routes[`${call.method} ${url.pathname}`] ?? routes['*'];
    if (!handler) {
      return json(404, { error: `no route ${key}` });
    }
    return handler(call, init?.signal ?? undefined);
  }) as FetchLike & { calls: ICall[] };
  fake.calls = calls;
  return fake;
}

export function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8' }
  });
}

export function client(routes: { [route: string]: Handler }, extra = {}) {
  const fetch = fakeFetch(routes);
  return {
    fetch,
    gateway: new GatewayClient({
      site: 'central',
      address: `${ADDRESS}/`,
      fetch,
      authorizationHeader: async () => `Bearer ${TOKEN}`,
      ...extra
    })
  };
}

export async function failure(
  promise: Promise<unknown>
): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    const e = err as GatewayError;
    expect(e.message).not.toContain(TOKEN);
    expect(e.message.startsWith('central: ')).toBe(true);
    return e;
  }
  throw new Error('expected a failure');
}
