import { GatewayClient } from '../gateway';
import { redact } from '../gateway/errors';
import type { FetchLike } from '../gateway/http';
import { DisplayNames } from '../gateway/names';
import {
  ADDRESS,
  TOKEN,
  NAME,
  OPTIONS_BODY,
  cluster,
  json,
  client,
  failure,
  fakeFetch,
  type Handler
} from './fakes/gateway-http';

describe('GatewayClient', () => {
  it('reads health and version without the login', async () => {
    const { gateway, fetch } = client({
      'GET /api/health': () => json(200, { status: 'pass' }),
      'GET /api/version': () => json(200, { version: '2026.3.0' })
    });
    await expect(gateway.health()).resolves.toEqual({ version: '2026.3.0' });
    expect(fetch.calls.map(c => c.headers.Authorization)).toEqual([
      undefined,
      undefined
    ]);
  });

  it('reports an unhealthy gateway as unreachable', async () => {
    const { gateway } = client({
      'GET /api/health': () => json(503, { status: 'fail' }),
      'GET /api/version': () => json(200, { version: '2026.3.0' })
    });
    const e = await failure(gateway.health());
    expect(e.kind).toBe('unreachable');
    expect(e.status).toBe(503);
  });

  it('reads the options with the authorization header', async () => {
    const { gateway, fetch } = client({
      'GET /api/v1/options': () => json(200, OPTIONS_BODY)
    });
    await expect(gateway.options()).resolves.toEqual(
      OPTIONS_BODY.cluster_options
    );
    expect(fetch.calls[0].headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(fetch.calls[0].url).toBe(`${ADDRESS}/api/v1/options`);
  });

  it('lists active and recently ended clusters, without TLS material', async () => {
    const now = 10_000_000;
    const { gateway, fetch } = client(
      {
        'GET /api/v1/clusters/': () =>
          json(200, {
            a: cluster('a', 'RUNNING', { start_time: 1 }),
            b: cluster('b', 'PENDING', { start_time: 2 }),
            old: cluster('old', 'STOPPED', { stop_time: now - 2 * 3600_000 }),
            recent: cluster('recent', 'FAILED', { stop_time: now - 60_000 })
          })
      },
      {
        now: () => now,
        names: DisplayNames.fromJSON({ central: { a: 'flood run' } })
      }
    );
    const clusters = await gateway.list();
    expect(fetch.calls[0].url).toBe(
      `${ADDRESS}/api/v1/clusters/?status=pending,running,stopping,stopped,failed`
    );
    expect(clusters.map(c => [c.name, c.status, c.displayName])).toEqual([
      ['b', 'PENDING', 'b'],
      ['a', 'RUNNING', 'flood run'],
      ['recent', 'FAILED', 'recent']
    ]);
    expect(JSON.stringify(clusters)).not.toMatch(/tls|BEGIN/);
    expect(clusters[1]).toEqual({
      name: 'a',
      displayName: 'flood run',
      status: 'RUNNING',
      dashboardRoute: '/clusters/a/status',
      startTime: 1,
      options: { worker_cores: 1, worker_memory: 1.0 }
    });
    expect((await gateway.list({ endedWithinMs: 3 * 3600_000 })).length).toBe(
      4
    );
  });

  it('checks options before creating and sends normalised values', async () => {
    const { gateway, fetch } = client({
      'GET /api/v1/options': () => json(200, OPTIONS_BODY),
      'POST /api/v1/clusters/': () => json(201, { name: NAME })
    });
    const e = await failure(
      gateway.create({ worker_memory: 9, colour: 'red' })
    );
    expect(e.kind).toBe('invalid');
    expect(e.message).toBe(
      'central: invalid cluster options: worker_memory: 9 is above the maximum 4; ' +
        'colour: unknown option (known: worker_cores, worker_memory)'
    );
    expect(fetch.calls.filter(c => c.method === 'POST')).toHaveLength(0);

    await expect(gateway.create({ worker_cores: '2' })).resolves.toBe(NAME);
    const post = fetch.calls.find(c => c.method === 'POST');
    expect(post?.body).toEqual({
      cluster_options: { worker_cores: 2, worker_memory: 1.0 }
    });
  });

  it("turns the gateway's 422 into an invalid-options error", async () => {
    const { gateway } = client({
      'POST /api/v1/clusters/': () =>
        json(422, { error: 'worker_memory must be <= 4.000000, got 9' })
    });
    const e = await failure(
      gateway.create(
        { worker_memory: 3 },
        { spec: OPTIONS_BODY.cluster_options as never }
      )
    );
    expect(e.kind).toBe('invalid');
    expect(e.status).toBe(422);
    expect(e.message).toBe(
      'central: invalid cluster options: worker_memory must be <= 4.000000, got 9'
    );
  });

  it('names the cluster when it is unknown, not running or not ours', async () => {
    const { gateway } = client({
      [`GET /api/v1/clusters/${NAME}`]: () =>
        json(404, { error: `Cluster ${NAME} not found` }),
      [`POST /api/v1/clusters/${NAME}/scale`]: () =>
        json(409, { error: `cluster ${NAME} is not running` }),
      [`POST /api/v1/clusters/${NAME}/adapt`]: () =>
        json(403, {
          error: `User alice lacks permissions to view cluster ${NAME}`
        })
    });
    let e = await failure(gateway.get(NAME));
    expect([e.kind, e.status, e.cluster]).toEqual(['not-found', 404, NAME]);
    expect(e.message).toBe(
      'central: cluster 3f2a1b2c… was not found (404): it may have been stopped and forgotten'
    );
    e = await failure(gateway.scale(NAME, 2));
    expect(e.kind).toBe('conflict');
    expect(e.message).toBe('central: cluster 3f2a1b2c… is not running (409)');
    e = await failure(gateway.adapt(NAME, 0, 2));
    expect(e.kind).toBe('forbidden');
    expect(e.message).toContain('lacks permissions');
  });

  it('sends a refused login back as unauthorized, without the token', async () => {
    const { gateway } = client({
      'GET /api/v1/options': () =>
        json(401, { error: `Unauthorized: token expired` })
    });
    const e = await failure(gateway.options());
    expect(e.kind).toBe('unauthorized');
    expect(e.message).toBe(
      'central: the gateway refused the login (401): log in again (gateway said: token expired)'
    );
  });

  it('renews a refused token once and retries', async () => {
    const asked: (boolean | undefined)[] = [];
    let attempt = 0;
    const { gateway, fetch } = client(
      {
        'GET /api/v1/options': () =>
          ++attempt === 1
            ? json(401, { error: 'Unauthorized: unknown key id' })
            : json(200, OPTIONS_BODY)
      },
      {
        authorizationHeader: async (o?: { forceRefresh?: boolean }) => {
          asked.push(o?.forceRefresh);
          return o?.forceRefresh ? 'Bearer renewed' : `Bearer ${TOKEN}`;
        }
      }
    );
    expect((await gateway.options()).map(o => o.field)).toEqual([
      'worker_cores',
      'worker_memory'
    ]);
    expect(asked).toEqual([undefined, true]);
    expect(fetch.calls[1].headers.Authorization).toBe('Bearer renewed');
  });

  it('redacts credentials a server might echo', async () => {
    const { gateway } = client({
      'GET /api/v1/options': () =>
        json(500, { error: `bad header Bearer ${TOKEN}` })
    });
    const e = await failure(gateway.options());
    expect(e.kind).toBe('server');
    expect(e.message).toBe(
      "central: the gateway failed (500): bad header Bearer [redacted]; try again later or tell the site's administrators"
    );
    expect(e.detail).not.toContain(TOKEN);
    expect(
      redact('-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----')
    ).toBe('[redacted]');
  });

  it('explains an answer that is not from a gateway', async () => {
    const { gateway } = client({
      'GET /api/v1/options': () =>
        new Response('<html><title>Sign in</title></html>', {
          status: 200,
          headers: { 'Content-Type': 'text/html' }
        }),
      'GET /api/v1/clusters/': () => json(200, [1, 2])
    });
    let e = await failure(gateway.options());
    expect(e.kind).toBe('server');
    expect(e.message).toContain('is not a Dask Gateway answer (text/html)');
    e = await failure(gateway.list());
    expect(e.kind).toBe('server');
  });

  it('says a wrong address has no API', async () => {
    const { gateway } = client({});
    const e = await failure(gateway.options());
    expect(e.kind).toBe('not-found');
    expect(e.message).toBe(
      "central: the gateway at http://gw.example:8000 has no /api/v1/options (404): check the site's gateway address"
    );
  });

  it('treats a proxy in front of a dead gateway as unreachable', async () => {
    const { gateway } = client({
      '*': () =>
        new Response('Bad Gateway', { status: 502, statusText: 'Bad Gateway' })
    });
    const e = await failure(gateway.list());
    expect(e.kind).toBe('unreachable');
    expect(e.message).toBe(
      'central: the gateway at http://gw.example:8000 is unreachable (502 Bad Gateway): the site may be down; try again later'
    );
  });

  it('reports a refused connection as unreachable with its code', async () => {
    const fetch: FetchLike = async () => {
      const cause = Object.assign(
        new Error('connect ECONNREFUSED 127.0.0.1:8000'),
        {
          code: 'ECONNREFUSED'
        }
      );
      throw new TypeError('fetch failed', { cause });
    };
    const gateway = new GatewayClient({
      site: 'central',
      address: ADDRESS,
      fetch
    });
    const e = await failure(gateway.health());
    expect(e.kind).toBe('unreachable');
    expect(e.message).toBe(
      'central: the gateway at http://gw.example:8000 is unreachable (ECONNREFUSED): check that the site is up and its gateway address is right'
    );
  });

  it('gives up after the time limit', async () => {
    const hang: Handler = (_call, signal) =>
      new Promise((_resolve, reject) =>
        signal?.addEventListener('abort', () => reject(signal.reason))
      );
    const { gateway } = client(
      { '*': hang },
      { timeoutMs: 30, healthTimeoutMs: 20 }
    );
    let e = await failure(gateway.options());
    expect(e.kind).toBe('timeout');
    expect(e.message).toContain('did not answer within 30 ms');
    e = await failure(gateway.health());
    expect(e.kind).toBe('timeout');
  });

  it('lets errors of the login session through unchanged', async () => {
    class LoginNeededError extends Error {}
    const needed = new LoginNeededError('lumi: log in first');
    const fetch = fakeFetch({});
    const gateway = new GatewayClient({
      site: 'lumi',
      address: ADDRESS,
      fetch,
      authorizationHeader: async () => {
        throw needed;
      }
    });
    await expect(gateway.list()).rejects.toBe(needed);
    expect(fetch.calls).toHaveLength(0);
  });
});

describe('redirects', () => {
  const redirect = (location: string) => () =>
    new Response(null, { status: 302, headers: { Location: location } });

  it('follows one within the gateway, with the login', async () => {
    const { gateway, fetch } = client({
      'GET /api/v1/options': redirect('/api/v1/options/'),
      'GET /api/v1/options/': () => json(200, OPTIONS_BODY)
    });
    expect(await gateway.options()).toHaveLength(2);
    expect(fetch.calls.map(c => new URL(c.url).pathname)).toEqual([
      '/api/v1/options',
      '/api/v1/options/'
    ]);
    expect(fetch.calls[1].headers.Authorization).toBe(`Bearer ${TOKEN}`);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://gw.example:9999/api/v1/options',
    'https://gw.example:8000/api/v1/options',
    '//evil.example/api'
  ])('does not follow one to %s, and says so', async location => {
    const { gateway, fetch } = client({
      'GET /api/v1/options': redirect(location)
    });
    const err = await failure(gateway.options());
    expect(err.message).toContain('redirected to');
    expect(err.message).toContain('not followed');
    expect(fetch.calls).toHaveLength(1);
  });

  it('gives up after a few', async () => {
    const { gateway, fetch } = client({
      'GET /api/v1/options': redirect('/api/v1/options')
    });
    expect((await failure(gateway.options())).message).toContain(
      'too many times'
    );
    expect(fetch.calls.length).toBeLessThanOrEqual(6);
  });
});
