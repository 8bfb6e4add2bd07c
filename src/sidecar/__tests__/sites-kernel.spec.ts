/** Which cluster a kernel gets, and what it gets of it. */
import { errorAnswer } from '../http/error-answers';
import { serviceOnFakes, type IServiceOnFakes } from './fakes/sites-service';

let world: IServiceOnFakes;

afterEach(() => world?.service.dispose());

async function failure(work: Promise<unknown>) {
  const err = (await work.then(
    () => undefined,
    (e: unknown) => e
  )) as Error & { code?: string };
  expect(err).toBeInstanceOf(Error);
  return err;
}

describe('kernel connections', () => {
  it('gives the only running cluster, with its TLS material and dashboard path', async () => {
    world = await serviceOnFakes();
    const name = world.gateways.get('lumi')!.add('a'.repeat(32)).name;
    const connection = await world.service.kernelConnection('lumi');
    expect(connection).toEqual({
      site: 'lumi',
      cluster: name,
      displayName: 'aaaaaaaa',
      address: `gateway://127.0.0.1:9/${name}`,
      tlsCert: 'CERT',
      tlsKey: 'KEY',
      dashboardPath: `/user/alice/dask-sites/dashboard/lumi/${name}/status`,
      created: false
    });
  });

  it('gives the chosen cluster when several run, and refuses to guess without a choice', async () => {
    world = await serviceOnFakes();
    const lumi = world.gateways.get('lumi')!;
    const first = lumi.add('a'.repeat(32)).name;
    const second = lumi.add('b'.repeat(32)).name;
    const err = await failure(world.service.kernelConnection('lumi'));
    expect(err.code).toBe('ambiguous-cluster');
    expect(err.message).toContain('2 clusters run');
    expect(err.message).toContain(
      'choose one for kernels in the Dask Sites panel'
    );
    expect(errorAnswer(err)?.status).toBe(409);
    await world.service.chooseCluster('lumi', second);
    expect((await world.service.kernelConnection('lumi')).cluster).toBe(second);
    expect(first).not.toBe(second);
  });

  it('says how to start a cluster when none runs, and creates none', async () => {
    world = await serviceOnFakes();
    world.gateways.get('central')!.add('c'.repeat(32), 'STOPPED');
    const err = await failure(
      world.service.kernelConnection('central', undefined, true)
    );
    expect(err.code).toBe('no-cluster');
    expect(err.message).toBe(
      'central: no running cluster. Start one in the Dask Sites panel, or let kernels ' +
        'create one (c.DaskSites.auto_create_cluster = True).'
    );
    expect(
      world.gateways.get('central')!.calls.some(c => c.startsWith('create'))
    ).toBe(false);
  });

  it('creates an adaptive cluster for a kernel when allowed and asked', async () => {
    world = await serviceOnFakes({ autoCreateCluster: true });
    const none = await failure(world.service.kernelConnection('central'));
    expect(none.message).toBe(
      'central: no running cluster. Start one in the Dask Sites panel.'
    );
    const connection = await world.service.kernelConnection(
      'central',
      undefined,
      true
    );
    expect(connection.created).toBe(true);
    const calls = world.gateways.get('central')!.calls;
    expect(calls).toContain(`adapt ${connection.cluster} 1-8`);
    expect(calls.find(c => c.startsWith('create'))).toBe(
      'create {"worker_cores":1}'
    );
    const again = await world.service.kernelConnection(
      'central',
      undefined,
      true
    );
    expect(again).toMatchObject({
      cluster: connection.cluster,
      created: false
    });
  });

  it('does not hand out a listed cluster whose scheduler does not answer, and says why', async () => {
    world = await serviceOnFakes();
    const dead = world.gateways.get('lumi')!.add('d'.repeat(32)).name;
    world.deadSchedulers.add(dead);
    const err = await failure(world.service.kernelConnection('lumi'));
    expect(err.code).toBe('cluster-unreachable');
    expect(err.message).toContain(
      `lumi: its cluster, dddddddd (${dead}), is listed as running but its scheduler does not answer`
    );
    expect(err.message).toContain('502 Bad Gateway');
    expect(err.message).toContain(
      'Stop it in the Dask Sites panel and start a new one, or let kernels create one'
    );
    expect(errorAnswer(err)?.status).toBe(409);
    // The panel shows it too, and once it answers again it is cleared.
    const shown = () =>
      world.service.siteState('lumi').clusters.find(c => c.name === dead);
    expect(shown()?.unreachable?.reason).toContain('502 Bad Gateway');
    await world.service.refreshSites(['lumi'], 0); // kept across a new list
    expect(shown()?.unreachable).toBeDefined();
    world.deadSchedulers.delete(dead);
    world.clock.advance(2_001);
    expect((await world.service.kernelConnection('lumi')).cluster).toBe(dead);
    expect(shown()?.unreachable).toBeUndefined();
  });

  it('starts a fresh cluster instead of a dead one when kernels may create clusters', async () => {
    world = await serviceOnFakes({ autoCreateCluster: true });
    const dead = world.gateways.get('lumi')!.add('d'.repeat(32)).name;
    world.deadSchedulers.add(dead);
    const fresh = await world.service.kernelConnection('lumi', undefined, true);
    expect(fresh.created).toBe(true);
    expect(fresh.cluster).not.toBe(dead);
    // The dead one still listed does not make the choice ambiguous.
    world.clock.advance(2_001);
    const again = await world.service.kernelConnection('lumi', undefined, true);
    expect(again).toMatchObject({ cluster: fresh.cluster, created: false });
  });

  it('says so when the cluster chosen for kernels does not answer', async () => {
    world = await serviceOnFakes({ autoCreateCluster: true });
    const lumi = world.gateways.get('lumi')!;
    const chosen = lumi.add('c'.repeat(32)).name;
    lumi.add('e'.repeat(32));
    await world.service.chooseCluster('lumi', chosen);
    world.deadSchedulers.add(chosen);
    const err = await failure(
      world.service.kernelConnection('lumi', undefined, true)
    );
    expect(err.code).toBe('cluster-unreachable');
    expect(err.message).toContain('the cluster chosen for kernels, cccccccc');
  });

  it('waits for a cluster that is still starting rather than failing', async () => {
    world = await serviceOnFakes();
    const name = world.gateways
      .get('lumi')!
      .add('p'.repeat(32), 'PENDING').name;
    const connection = await world.service.kernelConnection('lumi');
    expect(connection.cluster).toBe(name);
    expect(world.gateways.get('lumi')!.calls).toContain(`wait ${name}`);
  });

  it('says "log in" for a site that is not logged in, before asking its gateway', async () => {
    world = await serviceOnFakes({ login: { status: 'logged-out' } });
    const err = await failure(world.service.kernelConnection('lumi'));
    expect(err.code).toBe('login-needed');
    expect(err.message).toContain('%site login lumi');
    expect(world.gateways.get('lumi')!.calls).toEqual([]);
  });
});
