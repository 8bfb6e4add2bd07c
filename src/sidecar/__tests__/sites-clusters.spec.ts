/** The sites layer's cluster operations and logins, on fake gateways and logins. */
import { errorAnswer } from '../http/error-answers';
import { StateFile } from '../state/state-file';
import { serviceOnFakes, type IServiceOnFakes } from './fakes/sites-service';

let world: IServiceOnFakes;

afterEach(() => world?.service.dispose());

async function refused(work: Promise<unknown>) {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(err).toBeDefined();
  return { err: err as Error & { code?: string }, answer: errorAnswer(err) };
}

describe('SitesService clusters', () => {
  it('creates a cluster with the site defaults under the request options', async () => {
    world = await serviceOnFakes();
    const changes: string[][] = [];
    world.service.onChange(sites => changes.push(sites));
    const info = await world.service.createCluster('lumi', {
      options: { worker_memory: 4 },
      displayName: 'flood <b>run</b>',
      wait: true
    });
    expect(world.gateways.get('lumi')!.calls[0]).toBe(
      'create {"worker_cores":1,"worker_memory":4}'
    );
    expect(info.status).toBe('RUNNING');
    expect(info.displayName).toBe('flood <b>run</b>');
    const lumi = world.service.siteState('lumi');
    expect(lumi.clusters.map(c => c.name)).toEqual([info.name]);
    expect(changes).toContainEqual(['lumi']);
    expect(world.service.siteState('central').clusters).toEqual([]);
  });

  it('shows the site defaults as the form defaults', async () => {
    world = await serviceOnFakes();
    const [cores] = await world.service.options('central');
    expect(cores.field).toBe('worker_cores');
    expect(cores.default).toBe(1);
  });

  it('refuses an unknown site naming the known ones, as a 404', async () => {
    world = await serviceOnFakes();
    for (const work of [
      world.service.clusters('mars'),
      world.service.createCluster('../lumi', {}),
      world.service.scale('lumi%2F..', 'x', 1),
      world.service.startLogin('<img src=x>')
    ]) {
      const { err, answer } = await refused(work);
      expect(err.code).toBe('unknown-site');
      expect(answer?.status).toBe(404);
      expect(err.message).toMatch(/known sites: central, lumi$/);
    }
    expect(world.gateways.get('lumi')!.calls).toEqual([]);
  });

  it("answers a site's failed listing as that site's error", async () => {
    world = await serviceOnFakes();
    world.gateways.get('lumi')!.listError = new Error(
      'lumi: the gateway answered 500'
    );
    const { err, answer } = await refused(world.service.clusters('lumi'));
    expect(err.code).toBe('site-error');
    expect(answer).toMatchObject({ status: 502, code: 'site-error' });
    expect(await world.service.clusters('central')).toEqual([]);
  });

  it('says "log in" for the clusters of a site that is not logged in', async () => {
    world = await serviceOnFakes({ login: { status: 'logged-out' } });
    const { err, answer } = await refused(world.service.clusters('central'));
    expect(err.code).toBe('login-needed');
    expect(answer?.status).toBe(409);
    expect(world.gateways.get('central')!.calls).toEqual(['health']);
  });

  it('logs a clamped scale and answers with the cluster', async () => {
    world = await serviceOnFakes();
    const name = world.gateways.get('central')!.add('c'.repeat(32)).name;
    const info = await world.service.scale('central', name, 5);
    expect(info.name).toBe(name);
    expect(info.limited).toEqual({
      maximum: 4,
      message: expect.stringMatching(/resource limit of 4 workers/)
    });
    expect(world.logs.join('\n')).toMatch(
      /scale of c+ capped: .*resource limit of 4/
    );
    // The cap is told once, to the one who asked: never kept in the state.
    expect(
      world.service.siteState('central').clusters.find(c => c.name === name)
    ).not.toHaveProperty('limited');
    expect(await world.service.scale('central', name, 3)).not.toHaveProperty(
      'limited'
    );
  });

  it("shows a kernel's version report on the cluster until the cluster goes", async () => {
    world = await serviceOnFakes();
    const lumi = world.gateways.get('lumi')!;
    const name = lumi.add('f'.repeat(32)).name;
    await world.service.refreshSites(['lumi'], 0);
    const numpy = {
      package: 'numpy',
      here: '2.4.6',
      there: '1.26.4 (scheduler)',
      fatal: false
    };
    world.service.reportVersions('lumi', name, [numpy]);
    const card = () =>
      world.service.siteState('lumi').clusters.find(c => c.name === name);
    expect(card()?.versionMismatches).toEqual([numpy]);
    await world.service.refreshSites(['lumi'], 0); // kept across refreshes
    expect(card()?.versionMismatches).toEqual([numpy]);
    world.service.reportVersions('lumi', name, []); // a matching kernel clears it
    expect(card()).not.toHaveProperty('versionMismatches');
    world.service.reportVersions('lumi', name, [numpy]);
    await world.service.stopCluster('lumi', name); // a stopped cluster's report goes
    expect(card()?.versionMismatches).toBeUndefined();
    const { err } = await refused(
      Promise.resolve().then(() =>
        world.service.reportVersions('lumi', 'someone-elses', [numpy])
      )
    );
    expect(err.code).toBe('no-cluster');
  });

  it('lists the plots of a running cluster, read as untrusted', async () => {
    world = await serviceOnFakes({
      plotList: {
        'Individual Task Stream': '/individual-task-stream',
        'Individual <b>Bad</b>': '/individual-bad',
        Escape: '/../../api/sites',
        Encoded: '/individual-%2e%2e'
      }
    });
    const lumi = world.gateways.get('lumi')!;
    const name = lumi.add('e'.repeat(32)).name;
    await world.service.refreshSites(['lumi'], 0);
    expect(await world.service.dashboardPlots('lumi', name)).toEqual([
      { name: 'bBad/b', path: 'individual-bad' },
      { name: 'Task Stream', path: 'individual-task-stream' }
    ]);
    const { err, answer } = await refused(
      world.service.dashboardPlots('lumi', 'someone-elses')
    );
    expect(err.code).toBe('no-cluster');
    expect(answer?.status).toBe(409);
  });

  it('keeps a chosen cluster in the state file, and forgets it when that cluster stops', async () => {
    const state = await StateFile.open();
    world = await serviceOnFakes({ state });
    const name = world.gateways.get('lumi')!.add('d'.repeat(32)).name;
    const chosen = await world.service.chooseCluster('lumi', name);
    expect(chosen.chosenCluster).toBe(name);
    expect(state.state.chosenClusters).toEqual({ lumi: name });
    await world.service.stopCluster('lumi', name);
    expect(world.service.siteState('lumi').chosenCluster).toBeUndefined();
    expect(state.state.chosenClusters).toEqual({});
  });

  it('refuses to choose a cluster the gateway does not have, and keeps the old choice', async () => {
    world = await serviceOnFakes();
    const name = world.gateways.get('lumi')!.add('e'.repeat(32)).name;
    await world.service.chooseCluster('lumi', name);
    const { err } = await refused(
      world.service.chooseCluster('lumi', 'f'.repeat(32))
    );
    expect(err.code).toBe('gateway-not-found');
    expect(world.service.siteState('lumi').chosenCluster).toBe(name);
  });

  it('renames a cluster and saves the name', async () => {
    world = await serviceOnFakes();
    const name = world.gateways.get('central')!.add('a'.repeat(32)).name;
    const renamed = await world.service.renameCluster(
      'central',
      name,
      'drought'
    );
    expect(renamed.displayName).toBe('drought');
    expect(world.names.get('central', name)).toBe('drought');
    await new Promise(resolve => setImmediate(resolve)); // the state file write
    expect(world.state.state.displayNames).toEqual({
      central: { [name]: 'drought' }
    });
  });

  it('keeps the clusters of a site whose login ended, as last seen, until a fresh list', async () => {
    world = await serviceOnFakes({
      login: { status: 'logged-in', user: 'alice', accessExpiresAt: 0 }
    });
    const central = world.gateways.get('central')!;
    const running = central.add('b'.repeat(32)).name;
    central.add('s'.repeat(32), 'STOPPED');
    await world.service.refreshSites();
    expect(world.service.siteState('central').clusters).toHaveLength(2);
    world.sessions.set('central', {
      status: 'login-needed',
      reason: 'expired'
    });
    const state = world.service.siteState('central');
    expect(state.login.status).toBe('login-needed');
    // Still running, as far as anyone knows: shown as last seen, without figures.
    expect(state.clusters.map(c => c.name)).toEqual([running]);
    expect(state.clustersAsOf).toBeGreaterThan(0);
    // Its dashboard is not served without a fresh list.
    expect(
      await world.service.dashboardGatewayOf('central', running)
    ).toBeUndefined();
    expect(world.service.siteState('lumi').login.status).toBe('logged-in');
    // Logged in again: the fresh list replaces it.
    world.sessions.set('central', {
      status: 'logged-in',
      user: 'alice',
      accessExpiresAt: 0
    });
    await world.service.refreshSites(['central'], 0);
    expect(world.service.siteState('central').clustersAsOf).toBeUndefined();
    expect(world.service.siteState('central').clusters).toHaveLength(2);
  });

  it('after a restart, shows the clusters last seen and says why it asks for a login again', async () => {
    const first = await serviceOnFakes({
      login: { status: 'logged-in', user: 'alice', accessExpiresAt: 0 }
    });
    const name = first.gateways.get('lumi')!.add('r'.repeat(32)).name;
    await first.service.renameCluster('lumi', name, 'flood run');
    await first.service.refreshSites();
    first.sessions.set('lumi', {
      status: 'logged-in',
      user: 'alice',
      accessExpiresAt: 1
    }); // a login event: who was logged in is kept
    first.service.dispose();
    // The sidecar restarts with the same state file and no kept token.
    world = await serviceOnFakes({
      login: { status: 'logged-out' },
      state: first.state
    });
    const lumi = world.service.siteState('lumi');
    expect(lumi.login).toEqual({
      status: 'logged-out',
      reason: 'Dask Sites restarted and did not keep this login; log in again'
    });
    expect(lumi.clusters).toMatchObject([
      { name, displayName: 'flood run', status: 'RUNNING' }
    ]);
    expect(lumi.clustersAsOf).toBeGreaterThan(0);
    // The state file names clusters and users, never TLS material or tokens.
    const file = JSON.stringify(world.state.state);
    expect(file).not.toContain('"KEY"');
    expect(file).not.toContain('"CERT"');
    expect(file).not.toContain('Bearer');
    expect(world.state.state.refreshTokens).toEqual({});
  });

  it('forgets who was logged in after a logout: a restart then asks without a reason', async () => {
    const first = await serviceOnFakes({
      login: { status: 'logged-in', user: 'alice', accessExpiresAt: 0 }
    });
    first.sessions.set('lumi', {
      status: 'logged-in',
      user: 'alice',
      accessExpiresAt: 1
    });
    first.sessions.set('lumi', { status: 'logged-out' });
    first.service.dispose();
    world = await serviceOnFakes({
      login: { status: 'logged-out' },
      state: first.state
    });
    expect(world.service.siteState('lumi').login).toEqual({
      status: 'logged-out'
    });
  });

  it('cancels a pending login and logs out otherwise', async () => {
    world = await serviceOnFakes({
      login: {
        status: 'pending',
        flow: 'code',
        authorizationUrl: 'x',
        expiresAt: 0
      }
    });
    await world.service.endLogin('central');
    world.sessions.set('lumi', {
      status: 'logged-in',
      user: 'alice',
      accessExpiresAt: 0
    });
    await world.service.endLogin('lumi');
    expect(world.sessions.calls).toEqual(['cancel central', 'logout lumi']);
  });
});
