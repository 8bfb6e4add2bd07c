/** A `SitesService` on fakes: in-memory gateways and logins, a state file in memory. */
import type { LoginState } from '../../../protocol';
import { DisplayNames, GatewayError } from '../../gateway';
import { SitesService } from '../../sites';
import { StateFile } from '../../state/state-file';
import { FakeGateway } from './gateway';
import { FakeSessions } from './sessions';
import { openSite } from './sites';

export interface IServiceOnFakes {
  service: SitesService;
  gateways: Map<string, FakeGateway>;
  sessions: FakeSessions;
  state: StateFile;
  names: DisplayNames;
  logs: string[];
  /** The service's clock: `advance(ms)` moves it on. */
  clock: { now: number; advance(ms: number): void };
  /** Clusters whose scheduler died: their `health` route answers 502. */
  deadSchedulers: Set<string>;
}

export async function serviceOnFakes(
  options: {
    sites?: string[];
    login?: LoginState;
    autoCreateCluster?: boolean;
    kernelClusters?: 'stop-with-kernel' | 'keep';
    kernelClusterGraceMs?: number;
    state?: StateFile;
    /** The gateways of an earlier service (a sidecar restart). */
    gateways?: Map<string, FakeGateway>;
    /** What schedulers answer for `individual-plots.json`. */
    plotList?: unknown;
  } = {}
): Promise<IServiceOnFakes> {
  const sites = options.sites ?? ['central', 'lumi'];
  const gateways =
    options.gateways ??
    new Map(sites.map(site => [site, new FakeGateway(site)]));
  const sessions = new FakeSessions(sites, options.login);
  const state = options.state ?? (await StateFile.open());
  const names = DisplayNames.fromJSON(state.state.displayNames); // as main.ts reads them
  const logs: string[] = [];
  const deadSchedulers = new Set<string>();
  const clock = {
    now: Date.now(),
    advance(ms: number) {
      clock.now += ms;
    }
  };
  const service = new SitesService({
    registry: { version: 1, sites: sites.map(openSite) },
    sessions,
    names,
    state,
    basePath: '/user/alice/dask-sites/',
    autoCreateCluster: options.autoCreateCluster ?? false,
    kernelClusters: options.kernelClusters,
    kernelClusterGraceMs: options.kernelClusterGraceMs,
    log: line => logs.push(line),
    gatewayOf: site => gateways.get(site.name)!,
    metricsOf: site => ({
      fetch: () => Promise.reject(new Error('no live figures here')),
      forget: () => undefined,
      plotList: () => Promise.resolve(options.plotList ?? {}),
      ping: (cluster: string) =>
        deadSchedulers.has(cluster)
          ? Promise.reject(
              new GatewayError(
                'unreachable',
                site.name,
                `the dashboard of cluster ${cluster} answered 502 Bad Gateway`,
                { status: 502, cluster }
              )
            )
          : Promise.resolve()
    }),
    // Time moves on a little at each reading, as it does: a refresh begun
    // before a change is never taken for one begun after it.
    now: () => ++clock.now
  });
  return {
    service,
    gateways,
    sessions,
    state,
    names,
    logs,
    clock,
    deadSchedulers
  };
}
