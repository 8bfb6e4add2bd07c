import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DashboardProxy } from '../http/dashboard-proxy';
import { CallerCheck } from '../http/secrets';
import { createHttpServer } from '../http/server';
import { rawRequest } from './support/raw-request';

/** A stand-in for a gateway's dashboard routes that records what reaches it. */
let upstream: Server;
let upstreamUrl: string;
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

let sidecar: Server;
let base: string;
const auth = {
  Authorization: 'token server-secret',
  Cookie: '_xsrf=abc; session=xyz'
};

async function listen(server: Server): Promise<string> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** GET a path exactly as written; its status. */
async function rawGet(path: string): Promise<number> {
  return (await rawRequest(base, path, { headers: auth })).status;
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, {
      'Content-Type': 'text/html',
      'Set-Cookie': 'evil=1; Path=/'
    });
    res.end(
      `<a href="/clusters/abc/workers">workers</a><img src="statics/x.png">`
    );
  });
  upstreamUrl = await listen(upstream);
  const proxy = new DashboardProxy({
    gatewayOf: site => (site === 'central' ? upstreamUrl : undefined)
  });
  sidecar = createHttpServer({
    routes: [],
    callers: new CallerCheck('server-secret', 'kernel-secret'),
    passThrough: [proxy.handleHttp],
    upgrades: [proxy.handleUpgrade],
    log: () => undefined
  });
  base = await listen(sidecar);
});

afterAll(async () => {
  await new Promise(resolve => sidecar.close(resolve));
  await new Promise(resolve => upstream.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
});

describe('dashboard proxy', () => {
  it('forwards to the site gateway without any credentials and rewrites absolute links', async () => {
    const answer = await fetch(`${base}/dashboard/central/abc/status?x=1`, {
      headers: { ...auth, 'X-Dask-Sites-Base-Url': '/user/alice/dask-sites/' }
    });
    expect(answer.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/clusters/abc/status?x=1');
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(seen[0].headers.cookie).toBeUndefined();
    expect(answer.headers.get('set-cookie')).toBeNull();
    const text = await answer.text();
    expect(text).toContain(
      'href="/user/alice/dask-sites/dashboard/central/abc/workers"'
    );
    expect(text).toContain('src="statics/x.png"');
  });

  it('accepts Kubernetes-style cluster names', async () => {
    expect(
      (
        await fetch(`${base}/dashboard/central/ns.abc123/status`, {
          headers: auth
        })
      ).status
    ).toBe(200);
    expect(seen[0].url).toBe('/clusters/ns.abc123/status');
  });

  it('refuses an unknown site without contacting anyone', async () => {
    expect(await rawGet('/dashboard/evil.example.org/abc/status')).toBe(404);
    expect(seen).toHaveLength(0);
  });

  it.each([
    '/dashboard/http%3A%2F%2F127.0.0.1%3A1/abc/status',
    '/dashboard/central/abc/%2e%2e/%2e%2e/api/v1/clusters/abc',
    '/dashboard/central/abc/..%2F..%2Fapi/v1/clusters/',
    '/dashboard/central/../status',
    '/dashboard/central/abc/%2E./x',
    '/dashboard/central/abc/./status',
    '/dashboard/central/abc%3Fx=1/status',
    '/dashboard/central/abc%23/status',
    '/dashboard/central/abc%5Cstatus',
    '/dashboard/central/abc%252e%252e/status',
    '/dashboard/central//abc/status',
    '/dashboard/central/abc%00/status',
    '/dashboard/central/abc%E0%A4%A/status'
  ])('refuses %s as a bad path, without contacting anyone', async path => {
    expect(await rawGet(path)).toBe(400);
    expect(seen).toHaveLength(0);
  });

  it('needs the server secret', async () => {
    expect((await fetch(`${base}/dashboard/central/abc/status`)).status).toBe(
      401
    );
    expect(
      (
        await fetch(`${base}/dashboard/central/abc/status`, {
          headers: { Authorization: 'token kernel-secret' }
        })
      ).status
    ).toBe(404);
    expect(seen).toHaveLength(0);
  });
});
