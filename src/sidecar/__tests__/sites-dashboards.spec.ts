/** Which dashboards the sites layer lets the proxy serve, on fake gateways. */
import { serviceOnFakes, type IServiceOnFakes } from './fakes/sites-service';

let world: IServiceOnFakes;

afterEach(() => world?.service.dispose());

describe('SitesService dashboards', () => {
  it("serves the user's own clusters and nobody else's", async () => {
    world = await serviceOnFakes();
    const lumi = world.gateways.get('lumi')!;
    lumi.add('mine');
    await world.service.refreshSites(['lumi'], 0);
    expect(await world.service.dashboardGatewayOf('lumi', 'mine')).toMatch(
      /^http/
    );
    // Not in the user's list, not even after asking the gateway again.
    expect(
      await world.service.dashboardGatewayOf('lumi', 'someone-elses')
    ).toBeUndefined();
    expect(await world.service.dashboardGatewayOf('mars', 'mine')).toBe(
      undefined
    );
    expect(
      await world.service.dashboardGatewayOf('central', 'mine')
    ).toBeUndefined();
  });

  it('looks once more for a cluster not listed yet, at most every 2 s', async () => {
    world = await serviceOnFakes();
    const lumi = world.gateways.get('lumi')!;
    lumi.add('new'); // started elsewhere; the list was never asked for
    const lists = () => lumi.calls.filter(c => c === 'list').length;
    const before = lists();
    expect(await world.service.dashboardGatewayOf('lumi', 'new')).toMatch(
      /^http/
    );
    expect(lists()).toBe(before + 1);
    // A hostile page asking for many names does not become many listings.
    for (const name of ['a', 'b', 'c']) {
      expect(await world.service.dashboardGatewayOf('lumi', name)).toBe(
        undefined
      );
    }
    expect(lists()).toBe(before + 1);
  });

  it('serves nothing of a cluster that stopped or failed, even while it is listed', async () => {
    world = await serviceOnFakes();
    const lumi = world.gateways.get('lumi')!;
    lumi.add('starting', 'PENDING');
    lumi.add('stopping', 'STOPPING');
    lumi.add('stopped', 'STOPPED');
    lumi.add('failed', 'FAILED');
    await world.service.refreshSites(['lumi'], 0);
    expect(await world.service.dashboardGatewayOf('lumi', 'starting')).toMatch(
      /^http/
    );
    for (const name of ['stopping', 'stopped', 'failed']) {
      expect(
        await world.service.dashboardGatewayOf('lumi', name)
      ).toBeUndefined();
    }
  });

  it('checks a listed cluster again in the background, so one stopped elsewhere is no longer served', async () => {
    world = await serviceOnFakes();
    const lumi = world.gateways.get('lumi')!;
    lumi.add('mine');
    await world.service.refreshSites(['lumi'], 0);
    lumi.clusters.delete('mine'); // stopped by another client
    const lists = () => lumi.calls.filter(c => c === 'list').length;
    const before = lists();
    // Recently listed: served at once, without asking the gateway.
    expect(await world.service.dashboardGatewayOf('lumi', 'mine')).toMatch(
      /^http/
    );
    expect(lists()).toBe(before);
    world.clock.advance(10_001);
    expect(await world.service.dashboardGatewayOf('lumi', 'mine')).toMatch(
      /^http/
    ); // still served: the check runs in the background
    await world.service.refreshSites(['lumi']); // let it finish
    expect(lists()).toBe(before + 1);
    expect(
      await world.service.dashboardGatewayOf('lumi', 'mine')
    ).toBeUndefined();
  });

  it('serves nothing when logged out', async () => {
    world = await serviceOnFakes({ login: { status: 'logged-out' } });
    world.gateways.get('lumi')!.add('mine');
    expect(
      await world.service.dashboardGatewayOf('lumi', 'mine')
    ).toBeUndefined();
  });
});
