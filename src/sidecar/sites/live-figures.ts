/**
 * The live figures of the sites' running clusters: a `LiveWatcher` that
 * polls the clusters of a fresh list (those last seen are shown as they
 * were), writes each answer into the cluster's state and tells the
 * liveness tracker which schedulers answer and which are gone.
 */
import { isGatewayError } from '../gateway';
import { LiveWatcher, SCHEDULER_GONE } from '../live';
import type { ClusterLiveness } from './cluster-liveness';
import type { SiteStates } from './site-states';

export interface ILiveFiguresOptions {
  states: SiteStates;
  liveness: ClusterLiveness;
  intervalMs?: number;
  log: (line: string) => void;
}

export function liveFigures(options: ILiveFiguresOptions): LiveWatcher {
  const { states, liveness, log } = options;
  return new LiveWatcher({
    intervalMs: options.intervalMs,
    clusters: site => {
      const state = states.entry(site).state;
      return state.clustersAsOf === undefined
        ? state.clusters.filter(c => c.status === 'RUNNING').map(c => c.name)
        : [];
    },
    fetch: (site, cluster, signal) =>
      states.entry(site).metrics.fetch(cluster, signal),
    onUpdate: (site, cluster, live) => {
      liveness.answered(site, cluster);
      const info = states
        .entry(site)
        .state.clusters.find(c => c.name === cluster);
      if (info) {
        info.live = live;
        states.changed([site]);
      }
    },
    onForget: (site, cluster) => states.entry(site).metrics.forget(cluster),
    onError: (site, cluster, error) => {
      // Figures that stopped because the scheduler is gone: the panel says so.
      if (cluster && isGatewayError(error) && SCHEDULER_GONE.has(error.kind)) {
        liveness.silent(site, cluster, error.message);
      }
      log(
        `sidecar: live figures of ${site}/${cluster ?? '*'}: ${(error as Error).message}`
      );
    }
  });
}
