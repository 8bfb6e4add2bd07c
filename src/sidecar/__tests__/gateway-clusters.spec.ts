import { proxyAddressFor } from '../gateway';
import { NAME, cluster, json, client, failure } from './fakes/gateway-http';

describe('GatewayClient clusters', () => {
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

describe('cluster names', () => {
  it.each([
    '.',
    '..',
    'a/b',
    '../clusters',
    'x?y',
    'x#y',
    '',
    'ns..abc',
    '-x',
    'x'.repeat(129)
  ])('refuses %j before any request', async name => {
    const { gateway, fetch } = client({});
    for (const call of [
      () => gateway.get(name),
      () => gateway.scale(name, 1),
      () => gateway.adapt(name, 1, 2),
      () => gateway.stop(name),
      () => gateway.connectionInfo(name)
    ]) {
      const err = await failure(call());
      expect(err.kind).toBe('invalid');
      expect(err.message).toContain('is not a cluster name');
      expect(err.message.length).toBeLessThan(200);
    }
    expect(fetch.calls).toHaveLength(0);
  });
});
