/** Clusters made for kernels end with them; those the user started or chose never do. */
import { serviceOnFakes, type IServiceOnFakes } from './fakes/sites-service';

let world: IServiceOnFakes;

afterEach(() => world?.service.dispose());

const A = 'a0a0a0a0-0000-4000-8000-000000000001/101';
const A_RESTARTED = 'a0a0a0a0-0000-4000-8000-000000000001/202';
const B = 'b0b0b0b0-0000-4000-8000-000000000002/303';
const SERVER = 'server-1';

async function kernelCluster(owner: string, create = true) {
  return (
    await world.service.kernelConnection('lumi', undefined, create, owner)
  ).cluster;
}

function stopped(): string[] {
  return world.gateways
    .get('lumi')!
    .calls.filter(c => c.startsWith('stop'))
    .map(c => c.split(' ')[1]);
}

function shown(cluster: string) {
  return world.service.siteState('lumi').clusters.find(c => c.name === cluster)
    ?.forKernels;
}

describe('clusters made for kernels', () => {
  it('stop a grace period after the last kernel that used them ended', async () => {
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 5_000
    });
    const cluster = await kernelCluster(A);
    expect(await kernelCluster(B)).toBe(cluster); // a second kernel shares it
    world.service.kernelsRunning(SERVER, [A, B]);
    expect(shown(cluster)).toEqual({ kernels: 2 });
    world.service.kernelsRunning(SERVER, [B]); // A ended: B still uses it
    world.clock.advance(60_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([]);
    expect(shown(cluster)).toEqual({ kernels: 1 });
    world.service.kernelsRunning(SERVER, []); // the last one ended
    expect(shown(cluster)).toEqual({ kernels: 0, stopsAt: expect.any(Number) });
    world.clock.advance(4_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([]); // within the grace period
    world.clock.advance(2_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([cluster]);
  });

  it('count a restarted kernel as a new one: the old process has ended', async () => {
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0
    });
    const cluster = await kernelCluster(A);
    world.service.kernelsRunning(SERVER, [A]); // this very process, seen running
    world.service.kernelsRunning(SERVER, [A_RESTARTED]);
    world.clock.advance(1);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([cluster]);
  });

  it('are kept while a kernel that came back within the grace period uses them', async () => {
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 5_000
    });
    const cluster = await kernelCluster(A);
    world.service.kernelsRunning(SERVER, [A_RESTARTED]);
    expect(await kernelCluster(A_RESTARTED)).toBe(cluster);
    world.clock.advance(60_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([]);
  });

  it('are never stopped before the server said which kernels run, nor with "keep"', async () => {
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0
    });
    await kernelCluster(A);
    world.clock.advance(60_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([]);
    world.service.dispose();
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0,
      kernelClusters: 'keep'
    });
    const kept = await kernelCluster(A);
    world.service.kernelsRunning(SERVER, []);
    world.clock.advance(60_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([]);
    expect(shown(kept)).toBeUndefined(); // not even marked
  });

  it('become the user’s once chosen for kernels in the panel', async () => {
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0
    });
    const cluster = await kernelCluster(A);
    await world.service.chooseCluster('lumi', cluster);
    expect(shown(cluster)).toBeUndefined();
    world.service.kernelsRunning(SERVER, []);
    world.clock.advance(60_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([]);
  });

  it('do not include a cluster started from the panel, even when a kernel uses it', async () => {
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0
    });
    const mine = world.gateways.get('lumi')!.add('m'.repeat(32)).name;
    expect(await kernelCluster(A)).toBe(mine);
    world.service.kernelsRunning(SERVER, []);
    world.clock.advance(60_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([]);
    expect(shown(mine)).toBeUndefined();
  });

  it('keep running when started through a wrapper (the pid never matches): only the shutdown ends them', async () => {
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0
    });
    const cluster = await kernelCluster(A); // the kernel's own pid
    const wrapper = A.replace('/101', '/99'); // the server sees the wrapper's
    world.service.kernelsRunning(SERVER, [wrapper]);
    world.clock.advance(60_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([]);
    expect(shown(cluster)).toEqual({ kernels: 1 });
    world.service.kernelsRunning(SERVER, []);
    world.clock.advance(1);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([cluster]);
  });

  it('are never stopped for kernels this server never reported (started elsewhere, another server)', async () => {
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0
    });
    const cluster = await kernelCluster(A);
    world.service.kernelsRunning(SERVER, [B]);
    world.clock.advance(60_000);
    await world.service.stopKernelOrphans();
    // Seen by one server, then another server speaks: not its kernel to end.
    world.service.kernelsRunning(SERVER, [A]);
    world.service.kernelsRunning('server-2', []);
    world.clock.advance(60_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([]);
    expect(shown(cluster)).toEqual({ kernels: 1 });
  });

  it('are not given to a kernel while they are being stopped', async () => {
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0
    });
    const cluster = await kernelCluster(A);
    world.service.kernelsRunning(SERVER, [A]);
    world.service.kernelsRunning(SERVER, []);
    world.clock.advance(1);
    const lumi = world.gateways.get('lumi')!;
    const stop = lumi.stop.bind(lumi);
    let asked: Promise<string> | undefined;
    lumi.stop = async (name: string) => {
      asked = kernelCluster(B); // a kernel asks while the stop is under way
      await asked.catch(() => undefined);
      return stop(name);
    };
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([cluster]);
    expect(await asked).not.toBe(cluster);
  });

  it('become the user’s when a kernel that does not name itself uses them', async () => {
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0
    });
    const cluster = await kernelCluster(A);
    await world.service.kernelConnection('lumi', undefined, true); // no owner
    expect(shown(cluster)).toBeUndefined();
    world.service.kernelsRunning(SERVER, []);
    world.clock.advance(60_000);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([]);
  });

  it('survive a sidecar restart (owners are in the state file)', async () => {
    const first = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0
    });
    world = first;
    const cluster = await kernelCluster(A);
    first.service.kernelsRunning(SERVER, [A]);
    first.service.dispose();
    world = await serviceOnFakes({
      autoCreateCluster: true,
      kernelClusterGraceMs: 0,
      state: first.state,
      gateways: first.gateways
    });
    world.service.kernelsRunning(SERVER, []);
    world.clock.advance(1);
    await world.service.stopKernelOrphans();
    expect(stopped()).toEqual([cluster]);
  });
});
