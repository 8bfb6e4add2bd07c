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
/** The clusters the logged-in user has at central. */
const USERS_CLUSTERS = ['abc', 'ns.abc123'];

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
  upstream.on('upgrade', (req, socket) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  upstreamUrl = await listen(upstream);
  const proxy = new DashboardProxy({
    gatewayOf: (site, cluster) =>
      Promise.resolve(
        site === 'central' && USERS_CLUSTERS.includes(cluster)
          ? upstreamUrl
          : undefined
      )
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

  it("refuses another user's cluster without contacting anyone", async () => {
    const answer = await fetch(`${base}/dashboard/central/def/status`, {
      headers: auth
    });
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as { error: string }).error).toMatch(
      /not one of yours/
    );
    expect(seen).toHaveLength(0);
  });

  it('drains the body of a refused request so the answer arrives', async () => {
    const answer = await rawRequest(base, '/dashboard/central/def/status', {
      method: 'POST',
      headers: auth,
      body: Buffer.alloc(1024 * 1024, 120)
    });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: 'unknown-dashboard'
    });
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
    await rawGet(`/dashboard/central/abc/status${query}`);
    expect(seen.map(s => s.url)).toEqual([`/clusters/abc/status${forwarded}`]);
  });

  const credentials = {
    Authorization: 'token server-secret',
    Cookie: '_xsrf=abc; session=xyz',
    'X-XSRFToken': 'abc',
    'X-CSRFToken': 'abc',
    'Proxy-Authorization': 'Basic eDp5',
    'X-Forwarded-For': '10.0.0.1',
    'X-Jupyterhub-User': 'alice',
    Origin: 'http://127.0.0.1:8888',
    Referer: 'http://127.0.0.1:8888/lab?token=t',
    'X-Something-New': 'unheard of'
  };

  it('sends only allow-listed headers with a page', async () => {
    const answer = await fetch(`${base}/dashboard/central/abc/status`, {
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
    await rawRequest(base, '/dashboard/central/abc/status/ws?token=t&id=1', {
      headers: {
        ...credentials,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Protocol': 'bokeh, session-token'
      }
    }).catch(() => undefined); // the stand-in refuses the upgrade
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/clusters/abc/status/ws?id=1');
    const headers = seen[0].headers;
    for (const name of Object.keys(credentials)) {
      expect(headers[name.toLowerCase()]).toBeUndefined();
    }
    expect(headers['sec-websocket-protocol']).toBe('bokeh, session-token');
  });
});
