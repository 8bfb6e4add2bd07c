import { SidecarClient } from '../api/client';
import { SidecarError } from '../api/errors';
import { cluster, FakeFetch, json, site } from './support/fakes';

describe('SidecarClient', () => {
  let fake: FakeFetch;
  let client: SidecarClient;

  beforeEach(() => {
    fake = new FakeFetch();
    client = new SidecarClient({ serverSettings: fake.settings() });
  });

  it('lists sites under <baseUrl>dask-sites/api/sites', async () => {
    fake.on('GET', '/dask-sites/api/sites', { sites: [site()] });
    const sites = await client.sites();
    expect(sites.map(s => s.name)).toEqual(['central']);
    expect(fake.requests[0].method).toBe('GET');
  });

  it('works under a JupyterHub base URL', async () => {
    client = new SidecarClient({
      serverSettings: fake.settings('http://localhost/user/alice/')
    });
    fake.on('GET', '/user/alice/dask-sites/api/sites', { sites: [] });
    await expect(client.sites()).resolves.toEqual([]);
    expect(client.liveUrl).toBe(
      'ws://localhost/user/alice/dask-sites/api/live'
    );
    expect(client.dashboardUrl('lumi', 'abc', 'status')).toBe(
      'http://localhost/user/alice/dask-sites/dashboard/lumi/abc/status'
    );
  });

  it('sends the XSRF cookie as a header', async () => {
    document.cookie = '_xsrf=xsrf-value';
    fake.on('POST', '/dask-sites/api/sites/central/login', {
      status: 'logged-out'
    });
    await client.login('central');
    expect(fake.requests[0].headers.get('X-XSRFToken')).toBe('xsrf-value');
    document.cookie = '_xsrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  });

  it('sends each call with its method, path and body', async () => {
    const info = cluster();
    fake
      .on('POST', '/dask-sites/api/sites/central/login', {
        status: 'logged-out'
      })
      .on('DELETE', '/dask-sites/api/sites/central/login', {
        status: 'logged-out'
      })
      .on('GET', '/dask-sites/api/sites/central/options', { options: [] })
      .on('GET', '/dask-sites/api/sites/central/clusters', {
        clusters: [info]
      })
      .on('POST', '/dask-sites/api/sites/central/clusters', () =>
        json(201, info)
      )
      .on('PATCH', '/dask-sites/api/sites/central/clusters/c0ffee00aa', info)
      .on(
        'POST',
        '/dask-sites/api/sites/central/clusters/c0ffee00aa/scale',
        info
      )
      .on(
        'POST',
        '/dask-sites/api/sites/central/clusters/c0ffee00aa/adapt',
        info
      )
      .on(
        'DELETE',
        '/dask-sites/api/sites/central/clusters/c0ffee00aa',
        () => new Response(null, { status: 204 })
      )
      .on('PUT', '/dask-sites/api/sites/central/chosen-cluster', site());

    await client.login('central', 'code');
    await client.logout('central');
    await client.options('central');
    await expect(client.clusters('central')).resolves.toEqual([info]);
    await client.createCluster('central', {
      options: { worker_cores: 2 },
      wait: true
    });
    await client.renameCluster('central', 'c0ffee00aa', 'flood');
    await client.scale('central', 'c0ffee00aa', 3);
    await client.adapt('central', 'c0ffee00aa', 1, 4);
    await expect(
      client.stopCluster('central', 'c0ffee00aa')
    ).resolves.toBeUndefined();
    await client.chooseCluster('central', null);

    expect(fake.requests.map(r => [r.method, r.body])).toEqual([
      ['POST', { flow: 'code' }],
      ['DELETE', undefined],
      ['GET', undefined],
      ['GET', undefined],
      ['POST', { options: { worker_cores: 2 }, wait: true }],
      ['PATCH', { displayName: 'flood' }],
      ['POST', { count: 3 }],
      ['POST', { minimum: 1, maximum: 4 }],
      ['DELETE', undefined],
      ['PUT', { cluster: null }]
    ]);
  });

  it('escapes site and cluster names in paths', async () => {
    fake.on('GET', '/dask-sites/api/sites/a%2Fb/clusters', { clusters: [] });
    await client.clusters('a/b');
    expect(fake.requests[0].path).toBe('/dask-sites/api/sites/a%2Fb/clusters');
  });

  it("throws SidecarError with the server's status, message and code", async () => {
    fake.on('POST', '/dask-sites/api/sites/central/clusters/x/scale', () =>
      json(409, {
        error: 'central: log in again (the refresh token was refused)',
        code: 'login-needed'
      })
    );
    const err = await client.scale('central', 'x', 2).catch(e => e);
    expect(err).toBeInstanceOf(SidecarError);
    expect(err.status).toBe(409);
    expect(err.code).toBe('login-needed');
    expect(err.needsLogin).toBe(true);
    expect(err.message).toBe(
      'central: log in again (the refresh token was refused)'
    );
    expect(err.path).toBe('api/sites/central/clusters/x/scale');
  });

  it('explains answers that are not the sidecar’s (extension off, sidecar down)', async () => {
    fake.on(
      'GET',
      '/dask-sites/api/sites',
      () => new Response('<html>gone</html>', { status: 502 })
    );
    const err = await client.sites().catch(e => e);
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/sidecar is not running/);

    const missing = await client.site('nowhere').catch(e => e);
    expect(missing.status).toBe(404);
  });

  it('turns a network failure into status 0', async () => {
    const settings = fake.settings();
    client = new SidecarClient({
      serverSettings: {
        ...settings,
        fetch: () => Promise.reject(new TypeError('Failed to fetch'))
      }
    });
    const err = await client.sites().catch(e => e);
    expect(err).toBeInstanceOf(SidecarError);
    expect(err.status).toBe(0);
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/Failed to fetch/);
  });
});
