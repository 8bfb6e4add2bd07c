/** Refreshing sites: shared, reused while fresh, redone after a change, one site's failure its own. */
import type { ISiteState } from '../../protocol';
import { LoginNeededError } from '../auth';
import { SiteRefresher } from '../sites/site-refresher';
import { initialState, SiteStates } from '../sites/site-states';
import { Deferred, FakeGateway } from './fakes/gateway';
import { openSite } from './fakes/sites';

function setUp(sites = ['central', 'lumi']) {
  let now = 1_000_000;
  const states = new SiteStates();
  const gateways = new Map<string, FakeGateway>();
  const pruned: string[][] = [];
  for (const name of sites) {
    const gateway = new FakeGateway(name);
    gateways.set(name, gateway);
    states.add({
      config: openSite(name),
      gateway,
      metrics: {
        fetch: jest.fn(),
        forget: jest.fn(),
        ping: jest.fn(),
        plotList: jest.fn()
      },
      state: initialState(
        openSite(name),
        `key-${name}`,
        { status: 'not-required' },
        undefined
      ),
      refreshedAt: 0
    });
  }
  const changes: string[][] = [];
  states.onChange(names => changes.push(names));
  const refresher = new SiteRefresher({
    states,
    names: { prune: (site, keep) => pruned.push([site, ...keep]) },
    liveOf: () => undefined,
    now: () => now
  });
  return {
    states,
    gateways,
    refresher,
    changes,
    pruned,
    tick: (ms: number) => (now += ms)
  };
}

const healthCalls = (gateway: FakeGateway) =>
  gateway.calls.filter(call => call === 'health').length;

describe('SiteRefresher', () => {
  it('lists the clusters of every site and says which sites changed', async () => {
    const { refresher, gateways, states, changes, pruned } = setUp();
    gateways.get('lumi')!.add('a'.repeat(32));
    await refresher.refresh();
    const lumi: ISiteState = states.snapshot('lumi');
    expect(lumi.reachability).toMatchObject({
      status: 'up',
      version: '2026.3.0'
    });
    expect(lumi.clusters.map(c => c.name)).toEqual(['a'.repeat(32)]);
    expect(changes.flat().sort()).toEqual(['central', 'lumi']);
    expect(pruned).toContainEqual(['lumi', 'a'.repeat(32)]);
  });

  it('shares one refresh between concurrent callers', async () => {
    const { refresher, gateways } = setUp();
    const gate = new Deferred<void>();
    gateways.get('central')!.healthGate = gate;
    const both = Promise.all([
      refresher.refresh(['central']),
      refresher.refresh(['central'])
    ]);
    gate.resolve();
    await both;
    expect(healthCalls(gateways.get('central')!)).toBe(1);
  });

  it('reuses an answer younger than the limit and asks again after it', async () => {
    const { refresher, gateways, tick } = setUp();
    const central = gateways.get('central')!;
    await refresher.refresh(['central']);
    tick(1_000);
    await refresher.refresh(['central']); // 1 s old, limit 2 s
    expect(healthCalls(central)).toBe(1);
    tick(1_500);
    await refresher.refresh(['central']);
    expect(healthCalls(central)).toBe(2);
    await refresher.refresh(['central'], 0); // "after my change": always anew
    expect(healthCalls(central)).toBe(3);
  });

  it('follows a refresh that began before the caller changed something', async () => {
    const { refresher, gateways, tick } = setUp();
    const central = gateways.get('central')!;
    const gate = new Deferred<void>();
    central.healthGate = gate;
    const first = refresher.refresh(['central']);
    await new Promise(resolve => setImmediate(resolve)); // it asks the gateway now
    expect(healthCalls(central)).toBe(1);
    tick(10);
    const second = refresher.refresh(['central'], 0); // began before: not joined
    central.healthGate = undefined;
    gate.resolve();
    await Promise.all([first, second]);
    expect(healthCalls(central)).toBe(2);
  });

  it('joins a refresh that has not begun asking yet, whatever the limit', async () => {
    const { refresher, gateways } = setUp();
    const both = Promise.all([
      refresher.refresh(['central']),
      refresher.refresh(['central'], 0) // queued, so its answer will be new enough
    ]);
    await both;
    expect(healthCalls(gateways.get('central')!)).toBe(1);
  });

  it('marks only the site whose gateway is down', async () => {
    const { refresher, gateways, states } = setUp();
    gateways.get('lumi')!.down = true;
    await refresher.refresh();
    expect(states.snapshot('lumi').reachability.status).toBe('down');
    expect(states.snapshot('lumi').error).toMatch(/lumi: .*unreachable/);
    expect(states.snapshot('central').reachability.status).toBe('up');
    expect(states.snapshot('central').error).toBeUndefined();
  });

  it('keeps a failed listing as the site error, but not a login that ended', async () => {
    const { refresher, gateways, states } = setUp();
    const central = gateways.get('central')!;
    central.listError = new Error('central: the gateway answered 500');
    await refresher.refresh(['central'], 0);
    expect(states.snapshot('central').error).toBe(
      'central: the gateway answered 500'
    );
    central.listError = new LoginNeededError({
      loginKey: 'k',
      label: 'Central',
      site: 'central',
      issuer: 'http://127.0.0.1:1'
    });
    await refresher.refresh(['central'], 0);
    expect(states.snapshot('central').error).toBeUndefined();
  });

  it('does not list clusters of a site that is not logged in', async () => {
    const { refresher, gateways, states } = setUp();
    states.entry('central').state.login = { status: 'logged-out' };
    await refresher.refresh(['central']);
    expect(gateways.get('central')!.calls).toEqual(['health']);
  });

  it('reports no change when only the time of the check moved', async () => {
    const { refresher, changes, tick } = setUp(['central']);
    await refresher.refresh();
    changes.length = 0;
    tick(5_000);
    await refresher.refresh();
    expect(changes).toEqual([]);
  });

  it('ignores names the registry does not have', async () => {
    const { refresher, gateways } = setUp(['central']);
    await refresher.refresh(['mars']);
    expect(gateways.get('central')!.calls).toEqual([]);
  });
});
