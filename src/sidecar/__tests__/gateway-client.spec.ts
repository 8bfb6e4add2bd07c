import { GatewayClient, proxyAddressFor } from '../gateway/client';
import { GatewayError, redact } from '../gateway/errors';
import type { FetchLike } from '../gateway/http';
import { DisplayNames } from '../gateway/names';

const ADDRESS = 'http://gw.example:8000';
const TOKEN =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA';
const NAME = '3f2a1b2c9d8e7f6a5b4c3d2e1f0a9b8c';

const OPTIONS_BODY = {
  cluster_options: [
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
  ]
};

function cluster(name: string, status: string, extra: object = {}) {
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

interface ICall {
  method: string;
  url: string;
  headers: { [name: string]: string };
  body?: unknown;
}

type Handler = (
  call: ICall,
  signal?: AbortSignal
) => Response | Promise<Response>;

/** A fake gateway: `METHOD path` → handler; records every call. */
function fakeFetch(routes: {
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

function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8' }
  });
}

function client(routes: { [route: string]: Handler }, extra = {}) {
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

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
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

  it('waits with ?wait until the cluster runs, reporting progress', async () => {
    const answers = ['PENDING', 'PENDING', 'RUNNING'];
    const { gateway, fetch } = client({
      [`GET /api/v1/clusters/${NAME}?wait`]: () =>
        json(200, cluster(NAME, answers.shift() ?? 'RUNNING'))
    });
    const progress: string[] = [];
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask']
    });
    try {
      const waiting = gateway.waitUntilRunning(NAME, {
        onProgress: c => progress.push(c.status)
      });
      await jest.advanceTimersByTimeAsync(5_000);
      const info = await waiting;
      expect(info.status).toBe('RUNNING');
      expect(JSON.stringify(info)).not.toMatch(/BEGIN/);
    } finally {
      jest.useRealTimers();
    }
    expect(progress).toEqual(['PENDING', 'RUNNING']);
    expect(fetch.calls).toHaveLength(3);
  });

  it('reports a failed start naming the cluster', async () => {
    const { gateway } = client({
      [`GET /api/v1/clusters/${NAME}?wait`]: () =>
        json(200, cluster(NAME, 'FAILED'))
    });
    const e = await failure(gateway.waitUntilRunning(NAME));
    expect(e.kind).toBe('failed');
    expect(e.cluster).toBe(NAME);
    expect(e.message).toMatch(/^central: cluster 3f2a1b2c… failed to start\./);
    expect(e.message).toContain(NAME);
    expect(e.message).toContain('worker_cores=1, worker_memory=1');
  });

  it('times out waiting for a cluster that stays pending', async () => {
    let now = 0;
    const { gateway } = client(
      {
        [`GET /api/v1/clusters/${NAME}?wait`]: () => {
          now += 20_000; // the gateway held the request for 20 s
          return json(200, cluster(NAME, 'PENDING'));
        }
      },
      { now: () => now }
    );
    const e = await failure(
      gateway.waitUntilRunning(NAME, { timeoutMs: 60_000 })
    );
    expect(e.kind).toBe('timeout');
    expect(e.message).toBe(
      'central: cluster 3f2a1b2c… did not start within 60 s (still PENDING): the site may be short of resources; stop it or wait longer'
    );
  });

  it('scales, adapts and stops, and remembers adaptive bounds', async () => {
    const { gateway, fetch } = client({
      [`POST /api/v1/clusters/${NAME}/scale`]: () =>
        json(200, { ok: true, msg: null }),
      [`POST /api/v1/clusters/${NAME}/adapt`]: () =>
        json(200, {
          ok: false,
          msg:
            'Adapt with `maximum=10, minimum=1` workers would exceed resource limit of 4 workers. ' +
            'Using `maximum=4, minimum=1` instead.'
        }),
      [`DELETE /api/v1/clusters/${NAME}`]: () => json(204, null),
      [`GET /api/v1/clusters/${NAME}`]: () =>
        json(200, cluster(NAME, 'RUNNING'))
    });
    await expect(gateway.scale(NAME, 2)).resolves.toEqual({ ok: true });
    const adapted = await gateway.adapt(NAME, 1, 10);
    expect(adapted.ok).toBe(false);
    expect(adapted.message).toContain('resource limit of 4');
    expect((await gateway.get(NAME)).adaptive).toEqual({
      minimum: 1,
      maximum: 4
    });
    await gateway.scale(NAME, 1);
    expect((await gateway.get(NAME)).adaptive).toBeUndefined();
    await gateway.stop(NAME);
    expect(fetch.calls.map(c => [c.method, c.body])).toEqual([
      ['POST', { count: 2 }],
      ['POST', { minimum: 1, maximum: 10, active: true }],
      ['GET', undefined],
      ['POST', { count: 1 }],
      ['GET', undefined],
      ['DELETE', undefined]
    ]);
  });

  it('rejects impossible scale and adapt requests before sending', async () => {
    const { gateway, fetch } = client({});
    expect((await failure(gateway.scale(NAME, -1))).kind).toBe('invalid');
    expect((await failure(gateway.scale(NAME, 1.5))).kind).toBe('invalid');
    const e = await failure(gateway.adapt(NAME, 3, 2));
    expect(e.message).toBe(
      'central: cannot make cluster 3f2a1b2c… adaptive: minimum 3 is above maximum 2'
    );
    expect(fetch.calls).toHaveLength(0);
  });

  it('hands out TLS material only through connectionInfo', async () => {
    const { gateway } = client({
      [`GET /api/v1/clusters/${NAME}`]: () =>
        json(200, cluster(NAME, 'RUNNING')),
      'GET /api/v1/clusters/pending': () =>
        json(200, cluster('pending', 'PENDING'))
    });
    const connection = await gateway.connectionInfo(NAME);
    expect(connection.address).toBe(`gateway://gw.example:8000/${NAME}`);
    expect(connection.tlsCert).toContain('BEGIN CERTIFICATE');
    expect(connection.tlsKey).toContain('BEGIN PRIVATE KEY');
    expect(JSON.stringify(connection.cluster)).not.toMatch(/BEGIN|tls/);
    const e = await failure(gateway.connectionInfo('pending'));
    expect(e.kind).toBe('conflict');
    expect(e.message).toBe(
      'central: cluster pending is not running (it is PENDING)'
    );
  });
});

describe('proxyAddressFor', () => {
  it('follows dask_gateway: the API host and port unless configured', () => {
    expect(proxyAddressFor('http://127.0.0.1:8000')).toBe(
      'gateway://127.0.0.1:8000'
    );
    expect(proxyAddressFor('https://gw.example/services/dask-gateway')).toBe(
      'gateway://gw.example:443'
    );
    expect(proxyAddressFor('http://gw.example')).toBe(
      'gateway://gw.example:80'
    );
    expect(
      proxyAddressFor('https://gw.example', 'gateway://tls.example:8786')
    ).toBe('gateway://tls.example:8786');
    expect(
      proxyAddressFor('https://gw.example', 'tls://tls.example:8786')
    ).toBe('gateway://tls.example:8786');
    expect(proxyAddressFor('https://gw.example', 'tls.example:8786')).toBe(
      'gateway://tls.example:8786'
    );
    expect(proxyAddressFor('http://[::1]:8000')).toBe('gateway://[::1]:8000');
  });
});
