import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type Server
} from 'node:http';
import type { AddressInfo } from 'node:net';

import { WebSocket, WebSocketServer } from 'ws';

import { DashboardCapabilities } from '../dashboards/capabilities';
import { DashboardProxy } from '../dashboards/proxy';
import { CallerCheck } from '../http/secrets';
import { createHttpServer } from '../http/server';
import { rawRequest } from './support/raw-request';

/** A stand-in for a gateway's dashboard routes that records what reaches it. */
let upstream: Server;
let upstreamUrl: string;
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
/** The clusters the logged-in user has at central. */
const usersClusters = new Set<string>();

let clock = 0;
let capabilities: DashboardCapabilities;
let sidecar: Server;
let base: string;
const BASE_URL = '/user/alice/dask-sites/';
const browser = {
  Authorization: 'token server-secret',
  Cookie: '_xsrf=abc; session=xyz',
  'X-Dask-Sites-Base-Url': BASE_URL
};
/** What the frame door gets through Jupyter: no credential at all. */
const frameOnly = { 'X-Dask-Sites-Base-Url': BASE_URL };
const CAPABILITY_URL = new RegExp(
  `^${BASE_URL}frame/([A-Za-z0-9_-]{43})/(.*)$`
);

async function listen(server: Server): Promise<string> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Follow the stable link as the browser does; the capability path it redirects to. */
async function open(path = '/dashboard/central/abc/status'): Promise<string> {
  const answer = await fetch(`${base}${path}`, {
    headers: browser,
    redirect: 'manual'
  });
  expect(answer.status).toBe(302);
  const location = answer.headers.get('location') ?? '';
  expect(location).toMatch(CAPABILITY_URL);
  return location.slice(BASE_URL.length - 1);
}

function capabilityOf(framePath: string): string {
  return framePath.split('/')[2];
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const asked = new URL(req.url ?? '/', 'http://upstream');
    if (asked.pathname.endsWith('/redirect')) {
      res.writeHead(302, { Location: asked.searchParams.get('to') ?? '' });
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/html',
      'Set-Cookie': 'evil=1; Path=/',
      'Clear-Site-Data': '"cookies", "storage"',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
      Refresh: '0; url=https://evil.example/',
      Link: '<https://evil.example/x.js>; rel=preload',
      'Cache-Control': 'max-age=60',
      ETag: '"abc"'
    });
    res.end(
      `<a href="/clusters/abc/workers">workers</a><img src="statics/x.png">`
    );
  });
  const sockets = new WebSocketServer({ noServer: true });
  upstream.on('upgrade', (req, socket, head) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    sockets.handleUpgrade(req, socket, head, ws => ws.send('hello'));
  });
  upstreamUrl = await listen(upstream);
  capabilities = new DashboardCapabilities({
    idleMs: 60_000,
    now: () => clock
  });
  const proxy = new DashboardProxy({
    gatewayOf: (site, cluster) =>
      Promise.resolve(
        site === 'central' && usersClusters.has(cluster)
          ? upstreamUrl
          : undefined
      ),
    capabilities
  });
  sidecar = createHttpServer({
    routes: [],
    callers: new CallerCheck('server-secret', 'kernel-secret'),
    passThrough: [proxy.handleLink],
    publicPassThrough: [proxy.handleFrame],
    publicUpgrades: [proxy.handleFrameUpgrade],
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
  clock += 3_600_000; // what earlier tests issued has expired
  usersClusters.clear();
  usersClusters.add('abc');
  usersClusters.add('ns.abc123');
});

describe('the stable dashboard link', () => {
  it('redirects the browser to a fresh capability, contacting no one', async () => {
    const first = await open('/dashboard/central/abc/status?x=1&token=t');
    expect(first).toMatch(/^\/frame\/[A-Za-z0-9_-]{43}\/status\?x=1$/);
    const second = await open('/dashboard/central/abc/status');
    expect(capabilityOf(second)).not.toBe(capabilityOf(first));
    expect(seen).toHaveLength(0);
  });

  it('needs the server secret (the browser through Jupyter)', async () => {
    const before = capabilities.size;
    const path = '/dashboard/central/abc/status';
    expect((await fetch(`${base}${path}`, { redirect: 'manual' })).status).toBe(
      401
    );
    const kernel = await fetch(`${base}${path}`, {
      headers: { Authorization: 'token kernel-secret' },
      redirect: 'manual'
    });
    expect(kernel.status).toBe(404);
    expect(capabilities.size).toBe(before);
  });

  it.each([
    '/dashboard/evil.example.org/abc/status',
    '/dashboard/central/def/status',
    '/dashboard/lumi/abc/status',
    '/dashboard/central/-x%20y/status'
  ])(
    'refuses %s (not a cluster of the user) without issuing anything',
    async path => {
      const before = capabilities.size;
      const answer = await fetch(`${base}${path}`, {
        headers: browser,
        redirect: 'manual'
      });
      expect(answer.status).toBe(404);
      expect(((await answer.json()) as { error: string }).error).toMatch(
        /not one of yours/
      );
      expect(capabilities.size).toBe(before);
      expect(seen).toHaveLength(0);
    }
  );

  it('refuses writes, reading the body first so the answer arrives', async () => {
    const answer = await rawRequest(base, '/dashboard/central/abc/status', {
      method: 'POST',
      headers: browser,
      body: Buffer.alloc(1024 * 1024, 120)
    });
    expect(answer.status).toBe(405);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: 'method-not-allowed'
    });
  });
});

describe('a dashboard frame under its capability', () => {
  it('is served with no credential, sandboxed, with links kept under the capability', async () => {
    const path = await open('/dashboard/central/abc/status?x=1');
    const answer = await fetch(`${base}${path}`, { headers: frameOnly });
    expect(answer.status).toBe(200);
    expect(seen.map(s => s.url)).toEqual(['/clusters/abc/status?x=1']);
    expect(answer.headers.get('set-cookie')).toBeNull();
    const policy = answer.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/sandbox allow-scripts/);
    expect(policy).not.toMatch(/allow-same-origin|allow-top-navigation/);
    expect(policy).toMatch(/frame-ancestors 'self'/);
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    const text = await answer.text();
    const capability = capabilityOf(path);
    expect(text).toContain(`href="${BASE_URL}frame/${capability}/workers"`);
    expect(text).toContain('src="statics/x.png"');
  });

  it('passes on only the answer headers a page needs', async () => {
    const path = await open();
    const answer = await fetch(`${base}${path}`, { headers: frameOnly });
    for (const name of [
      'set-cookie',
      'clear-site-data',
      'strict-transport-security',
      'refresh',
      'link'
    ]) {
      expect(answer.headers.get(name)).toBeNull();
    }
    expect(answer.headers.get('cache-control')).toBe('max-age=60');
    expect(answer.headers.get('etag')).toBe('"abc"');
  });

  it.each([
    ['/clusters/abc/workers', `${BASE_URL}frame/CAP/workers`],
    ['workers', 'workers'],
    ['workers?x=1', 'workers?x=1'],
    ['https://evil.example/', null],
    ['\\\\evil.example/x', null],
    ['//evil.example/x', null],
    ['javascript:alert(1)', null]
  ])(
    'keeps a redirect to %s inside the dashboard, or drops it',
    async (to, expected) => {
      const path = await open();
      const capability = capabilityOf(path);
      const answer = await fetch(
        `${base}/frame/${capability}/redirect?to=${encodeURIComponent(to)}`,
        { headers: frameOnly, redirect: 'manual' }
      );
      expect(answer.status).toBe(302);
      expect(answer.headers.get('location')).toBe(
        expected === null ? null : expected.replace('CAP', capability)
      );
    }
  );

  it('survives a client that goes away in the middle of its body', async () => {
    const path = await open();
    await new Promise<void>(resolve => {
      const req = request(`${base}${path}`, {
        method: 'POST',
        headers: { ...frameOnly, 'Content-Length': '1000000' }
      });
      req.on('error', () => resolve());
      req.write('x'.repeat(1000));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    await new Promise(resolve => setTimeout(resolve, 50));
    // Still answering.
    expect((await fetch(`${base}${path}`, { headers: frameOnly })).status).toBe(
      200
    );
  });

  it('closes open pages when its capabilities are revoked (cluster stopped, logged out)', async () => {
    const path = await open();
    const ws = new WebSocket(`${base.replace('http', 'ws')}${path}/ws`, {
      headers: frameOnly
    });
    await new Promise(resolve => ws.once('message', resolve));
    const closed = new Promise(resolve => ws.once('close', resolve));
    capabilities.revoke('central', 'abc');
    await closed;
    const after = await fetch(`${base}${path}`, { headers: frameOnly });
    expect(after.status).toBe(404);
  });

  it('opens only the cluster it was issued for', async () => {
    const path = await open('/dashboard/central/ns.abc123/status');
    await fetch(`${base}${path.replace(/status$/, 'individual-plots.json')}`, {
      headers: frameOnly
    });
    expect(seen.map(s => s.url)).toEqual([
      '/clusters/ns.abc123/individual-plots.json'
    ]);
  });

  it.each([
    ['an unknown capability', `/frame/${'A'.repeat(43)}/status`],
    ['a capability of the wrong shape', '/frame/abc/status'],
    ['a site name instead', '/frame/central/abc/status'],
    ['no capability', '/frame/']
  ])('refuses %s as expired, contacting no one', async (_what, path) => {
    const answer = await fetch(`${base}${path}`, { headers: frameOnly });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({
      code: 'dashboard-link-expired'
    });
    expect(seen).toHaveLength(0);
  });

  it('tells a page load what to do, as a page', async () => {
    const answer = await fetch(`${base}/frame/${'B'.repeat(43)}/status`, {
      headers: { ...frameOnly, Accept: 'text/html,*/*' }
    });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toMatch(/text\/html/);
    expect(await answer.text()).toMatch(
      /open the dashboard again from the Dask Sites panel/
    );
  });

  it('expires when unused, not while a WebSocket is open', async () => {
    const path = await open();
    clock += 59_000;
    expect((await fetch(`${base}${path}`, { headers: frameOnly })).status).toBe(
      200
    );
    // An open WebSocket keeps it alive past the idle time.
    const ws = new WebSocket(`${base.replace('http', 'ws')}${path}/ws`, {
      headers: frameOnly
    });
    await new Promise(resolve => ws.once('message', resolve));
    clock += 120_000;
    expect((await fetch(`${base}${path}`, { headers: frameOnly })).status).toBe(
      200
    );
    await new Promise(resolve => {
      ws.once('close', resolve);
      ws.close();
    });
    await new Promise(resolve => setTimeout(resolve, 50)); // the proxy sees the close
    clock += 61_000;
    const expired = await fetch(`${base}${path}`, { headers: frameOnly });
    expect(expired.status).toBe(404);
    expect(await expired.json()).toMatchObject({
      code: 'dashboard-link-expired'
    });
  });

  it('stops serving once the cluster is no longer the user’s', async () => {
    const path = await open();
    usersClusters.delete('abc');
    const answer = await fetch(`${base}${path}`, { headers: frameOnly });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ code: 'unknown-dashboard' });
    expect(seen).toHaveLength(0);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])(
    'refuses %s',
    async method => {
      const path = await open();
      const answer = await rawRequest(base, path, {
        method,
        headers: { ...frameOnly, 'Content-Length': '100000' },
        body: 'x'.repeat(100_000)
      });
      expect(answer.status).toBe(405);
      expect(seen).toHaveLength(0);
    }
  );

  it.each([
    '/../../api/sites',
    '/%2e%2e/%2e%2e/api/v1/clusters/abc',
    '/..%2F..%2Fapi/v1/clusters/',
    '/%2E./x',
    '/./status',
    '/status%3Fx=1',
    '/status%23',
    '%5Cstatus',
    '/%252e%252e/status',
    '//status',
    '/status%00',
    '/%E0%A4%A/status'
  ])('refuses the path <capability>%s, contacting no one', async rest => {
    const path = await open();
    const answer = await rawRequest(
      base,
      `${path.replace(/\/status$/, '')}${rest}`,
      {
        headers: frameOnly
      }
    );
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(seen).toHaveLength(0);
  });

  it('does not open the browser API with a capability', async () => {
    const path = await open();
    const capability = capabilityOf(path);
    for (const probe of [
      '/api/sites',
      `/api/sites?capability=${capability}`,
      `/dashboard/central/abc/status?capability=${capability}`
    ]) {
      const answer = await fetch(`${base}${probe}`, {
        headers: frameOnly,
        redirect: 'manual'
      });
      expect([401, 404]).toContain(answer.status);
    }
    expect(seen).toHaveLength(0);
  });
});

describe('nothing of the user reaches a dashboard', () => {
  it.each([
    ['?token=t&x=1', '?x=1'],
    ['?_xsrf=a&x=1&xsrf=b', '?x=1'],
    ['?%74oken=t&TOKEN=u&Token%20=v&x=1', '?x=1'],
    ['?access_token=t', ''],
    ['?token', ''],
    ['?x=1&token=t&y=2&', '?x=1&y=2'],
    ['?%E0%A4%A=1&x=1', '?x=1'],
    [
      '?bokeh-autoload-element=1&bokeh-app-path=/status',
      '?bokeh-autoload-element=1&bokeh-app-path=/status'
    ]
  ])('strips Jupyter query parameters: %s', async (query, forwarded) => {
    const path = (await open()).split('?')[0];
    await rawRequest(base, `${path}${query}`, { headers: frameOnly });
    // Also when they come through the stable link.
    const viaLink = await open(`/dashboard/central/abc/status${query}`);
    await rawRequest(base, viaLink, { headers: frameOnly });
    expect(seen.map(s => s.url)).toEqual([
      `/clusters/abc/status${forwarded}`,
      `/clusters/abc/status${forwarded}`
    ]);
  });

  const credentials = {
    Authorization: 'token server-secret',
    Cookie: '_xsrf=abc; session=xyz',
    'X-XSRFToken': 'abc',
    'X-CSRFToken': 'abc',
    'Proxy-Authorization': 'Basic eDp5',
    'X-Forwarded-For': '10.0.0.1',
    'X-Jupyterhub-User': 'alice',
    'X-Dask-Sites-Base-Url': BASE_URL,
    Origin: 'null',
    Referer: 'http://127.0.0.1:8888/lab?token=t',
    'X-Something-New': 'unheard of'
  };

  it('sends only allow-listed headers with a page', async () => {
    const path = await open();
    const answer = await fetch(`${base}${path}`, {
      headers: { ...credentials, Accept: 'text/html', 'Accept-Language': 'pl' }
    });
    expect(answer.status).toBe(200);
    const headers = seen[0].headers;
    for (const name of Object.keys(credentials)) {
      expect(headers[name.toLowerCase()]).toBeUndefined();
    }
    expect(headers.accept).toBe('text/html');
    expect(headers['accept-language']).toBe('pl');
  });

  it('sends only the handshake and allow-listed headers with a WebSocket', async () => {
    const path = await open();
    const ws = new WebSocket(
      `${base.replace('http', 'ws')}${path}/ws?token=t&id=1`,
      ['bokeh', 'session-token'],
      { headers: credentials }
    );
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    ws.close();
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/clusters/abc/status/ws?id=1');
    const headers = seen[0].headers;
    for (const name of Object.keys(credentials)) {
      expect(headers[name.toLowerCase()]).toBeUndefined();
    }
    expect(headers['sec-websocket-protocol']).toBe('bokeh,session-token');
  });

  it('refuses a WebSocket under an unknown capability', async () => {
    const ws = new WebSocket(
      `${base.replace('http', 'ws')}/frame/${'C'.repeat(43)}/status/ws`
    );
    const status = await new Promise<number>(resolve =>
      ws.once('unexpected-response', (_req, res) =>
        resolve(res.statusCode ?? 0)
      )
    );
    expect(status).toBe(404);
    expect(seen).toHaveLength(0);
  });
});
