import { LiveEncoder } from '../../sidecar/live/encoding';
import { SidecarClient } from '../api/client';
import { LiveConnection } from '../api/live';
import { SitesModel } from '../model/sites-model';
import { cluster, FakeFetch, FakeWebSocket, json, site } from './support/fakes';

/** Let pending promises (fake fetch answers) settle. */
const settle = () => new Promise(resolve => setTimeout(resolve, 0));

describe('SitesModel', () => {
  let fake: FakeFetch;
  let live: LiveConnection;
  let model: SitesModel;
  let changes: number;

  const central = site();
  const lumi = site({
    name: 'lumi',
    label: 'LUMI (Kajaani)',
    colour: '#d62728',
    loginKey: 'issuer-a'
  });
  const leonardo = site({
    name: 'leonardo',
    label: 'Leonardo (Bologna)',
    loginKey: 'issuer-b',
    login: { status: 'logged-out' },
    reachability: { status: 'down', error: 'connection refused' }
  });

  beforeEach(() => {
    FakeWebSocket.reset();
    fake = new FakeFetch().on('GET', '/dask-sites/api/sites', {
      sites: [central, lumi, leonardo]
    });
    const client = new SidecarClient({ serverSettings: fake.settings() });
    live = new LiveConnection({
      url: () => client.liveUrl,
      WebSocket: FakeWebSocket as unknown as typeof WebSocket
    });
    model = new SitesModel({ client, live });
    changes = 0;
    model.changed.connect(() => (changes += 1));
  });

  afterEach(() => model.dispose());

  it('does nothing until shown', () => {
    expect(model.loading).toBe(true);
    expect(fake.requests).toHaveLength(0);
    expect(FakeWebSocket.instances).toHaveLength(0);
  });

  it('when shown, loads the sites, connects and watches them all; when hidden, closes', async () => {
    model.setActive(true);
    await settle();
    expect(model.loading).toBe(false);
    expect(model.sites.map(s => s.name)).toEqual([
      'central',
      'lumi',
      'leonardo'
    ]);
    const ws = FakeWebSocket.last;
    ws.open();
    expect(ws.sent).toHaveLength(1);
    expect(model.live.status).toBe('open');

    model.setActive(false);
    expect(ws.closedByClient).toBeDefined();
    expect(model.live.status).toBe('stopped');
  });

  it('takes live snapshots and diffs', async () => {
    model.setActive(true);
    await settle();
    const ws = FakeWebSocket.last;
    ws.open();
    const encoder = new LiveEncoder();
    ws.receive(encoder.next([central, lumi, leonardo])!);
    const withCluster = { ...lumi, clusters: [cluster()] };
    ws.receive(encoder.next([central, withCluster, leonardo])!);
    expect(model.site('lumi')?.clusters).toHaveLength(1);
    expect(model.site('central')).toEqual(central);
  });

  it('lets no older site list overwrite what the live stream sent', async () => {
    model.setActive(true);
    await settle();
    const ws = FakeWebSocket.last;
    ws.open();
    const encoder = new LiveEncoder();
    ws.receive(encoder.next([central, lumi, leonardo])!);
    const figures = cluster({
      live: { ...cluster().live!, workers: 3 }
    });
    const withFigures = { ...lumi, clusters: [figures] };
    ws.receive(encoder.next([central, withFigures, leonardo])!);
    // A REST answer made before that diff arrives after it: the stream
    // would not send the figures again, so the answer must not win.
    await model.refresh();
    expect(model.site('lumi')?.clusters[0]?.live?.workers).toBe(3);

    // Once the stream is gone, a site list is the newest there is again.
    ws.serverClose();
    await model.refresh();
    expect(model.site('lumi')?.clusters).toEqual([]);
  });

  it('keeps a failing site’s error on that site only', async () => {
    fake.on('POST', '/dask-sites/api/sites/leonardo/clusters', () =>
      json(502, {
        error: 'leonardo: the gateway does not answer (connection refused)',
        code: 'gateway-unreachable'
      })
    );
    fake.on('POST', '/dask-sites/api/sites/lumi/clusters', () =>
      json(201, cluster({ name: 'abc', displayName: 'abc' }))
    );
    await model.refresh();
    const [bad, good] = await Promise.all([
      model.createCluster('leonardo', { options: {} }),
      model.createCluster('lumi', { options: {} })
    ]);
    expect(bad).toBeUndefined();
    expect(good?.name).toBe('abc');
    expect(model.error('leonardo')).toMatchObject({
      action: 'create',
      status: 502,
      code: 'gateway-unreachable',
      message: 'leonardo: the gateway does not answer (connection refused)'
    });
    expect(model.error('lumi')).toBeUndefined();
    expect(model.error('central')).toBeUndefined();
    expect(model.site('lumi')?.clusters.map(c => c.name)).toEqual(['abc']);

    model.dismissError('leonardo');
    expect(model.error('leonardo')).toBeUndefined();
  });

  it('marks an action pending while it runs', async () => {
    let answer!: (r: Response) => void;
    fake.on(
      'POST',
      '/dask-sites/api/sites/central/clusters/c0ffee00aa/scale',
      () => new Promise<Response>(resolve => (answer = resolve))
    );
    await model.refresh();
    const done = model.scale('central', 'c0ffee00aa', 3);
    await settle();
    expect(model.isPending('central', 'scale', 'c0ffee00aa')).toBe(true);
    expect(model.isBusy('central', 'c0ffee00aa')).toBe(true);
    expect(model.isBusy('central')).toBe(false);
    answer(json(200, cluster({ adaptive: undefined })));
    await done;
    expect(model.isPending('central', 'scale', 'c0ffee00aa')).toBe(false);
  });

  it('a scale answer (which has no live figures) keeps the figures shown', async () => {
    fake.on(
      'POST',
      '/dask-sites/api/sites/central/clusters/c0ffee00aa/scale',
      () => json(200, cluster({ adaptive: undefined, live: undefined }))
    );
    fake.on('GET', '/dask-sites/api/sites', {
      sites: [site({ clusters: [cluster()] })]
    });
    await model.refresh();
    expect(
      model.site('central')?.clusters.find(c => c.name === 'c0ffee00aa')?.live
    ).toBeDefined();
    await model.scale('central', 'c0ffee00aa', 2);
    // The live stream sends figures only when they change: never "waiting…" here.
    expect(
      model.site('central')?.clusters.find(c => c.name === 'c0ffee00aa')?.live
        ?.workers
    ).toBe(2);
  });

  it('keeps a cluster action’s error on that cluster', async () => {
    fake.on(
      'POST',
      '/dask-sites/api/sites/central/clusters/c0ffee00aa/adapt',
      () =>
        json(409, {
          error: 'the cluster is not running',
          code: 'gateway-conflict'
        })
    );
    await model.refresh();
    await model.adapt('central', 'c0ffee00aa', 1, 3);
    expect(model.error('central', 'c0ffee00aa')?.action).toBe('adapt');
    expect(model.error('central')).toBeUndefined();
  });

  it('a login answer updates every site sharing the login', async () => {
    const pending = {
      status: 'pending' as const,
      flow: 'device' as const,
      userCode: 'ABCD-EFGH',
      verificationUri: 'http://issuer/device',
      expiresAt: Date.now() + 600_000
    };
    fake.on('POST', '/dask-sites/api/sites/central/login', pending);
    await model.refresh();
    const state = await model.login('central');
    expect(state).toEqual(pending);
    expect(model.site('central')?.login).toEqual(pending);
    expect(model.site('lumi')?.login).toEqual(pending);
    expect(model.site('leonardo')?.login.status).toBe('logged-out');
  });

  it('creates with wait, then scales to the workers asked for', async () => {
    const created = cluster({ name: 'new1', displayName: 'flood' });
    fake
      .on('POST', '/dask-sites/api/sites/central/clusters', () =>
        json(201, created)
      )
      .on('POST', '/dask-sites/api/sites/central/clusters/new1/scale', () =>
        json(200, { ...created, live: { ...created.live!, workers: 2 } })
      );
    await model.refresh();
    const info = await model.createCluster('central', {
      options: { worker_cores: 1 },
      displayName: 'flood',
      workers: 2
    });
    expect(fake.requests.slice(1).map(r => [r.method, r.body])).toEqual([
      [
        'POST',
        { options: { worker_cores: 1 }, displayName: 'flood', wait: true }
      ],
      ['POST', { count: 2 }]
    ]);
    expect(info?.live?.workers).toBe(2);
  });

  it('stop marks the cluster stopping; choose takes the site state', async () => {
    const withCluster = { ...central, clusters: [cluster()] };
    fake
      .on('GET', '/dask-sites/api/sites', { sites: [withCluster] })
      .on(
        'DELETE',
        '/dask-sites/api/sites/central/clusters/c0ffee00aa',
        () => new Response(null, { status: 204 })
      )
      .on('PUT', '/dask-sites/api/sites/central/chosen-cluster', {
        ...withCluster,
        chosenCluster: 'c0ffee00aa'
      });
    await model.refresh();
    await model.chooseCluster('central', 'c0ffee00aa');
    expect(model.site('central')?.chosenCluster).toBe('c0ffee00aa');
    expect(await model.stopCluster('central', 'c0ffee00aa')).toBe(true);
    expect(model.site('central')?.clusters[0].status).toBe('STOPPING');
  });

  it('loads options once and reports a failure as the options state', async () => {
    fake.on('GET', '/dask-sites/api/sites/central/options', {
      options: [
        {
          field: 'worker_cores',
          label: 'Worker cores',
          default: 1,
          spec: { type: 'int', min: 1, max: 2 }
        }
      ]
    });
    await model.loadOptions('central');
    await model.loadOptions('central');
    expect(fake.requests).toHaveLength(1);
    expect(model.optionsState('central')?.status).toBe('ready');

    await model.loadOptions('lumi');
    expect(model.optionsState('lumi')).toMatchObject({
      status: 'error',
      error: { status: 404 }
    });
  });

  it('a failed site list is a load error, not a crash', async () => {
    fake.on('GET', '/dask-sites/api/sites', () =>
      json(503, { error: 'the sidecar is starting' })
    );
    await model.refresh();
    expect(model.loadError?.message).toBe('the sidecar is starting');
    expect(model.loading).toBe(false);
    expect(changes).toBeGreaterThan(0);
  });
});
