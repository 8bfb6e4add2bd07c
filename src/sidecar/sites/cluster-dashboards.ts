/**
 * Which clusters' dashboards may be served, and what plots they offer.
 * Dask Gateway does not check who asks for a dashboard, so the proxy asks
 * here first: only a registered site's running (or pending) cluster that
 * the logged-in user has there.
 */
import { isUp, type IDashboardPlot } from '../../protocol';
import { parsePlotList } from '../dashboards/plot-list';
import { quoted } from '../errors';
import { SitesError } from './errors';
import type { SiteRefresher } from './site-refresher';
import type { SiteStates } from './site-states';

/** An unknown dashboard's cluster is looked for at the gateway at most this often. */
const DASHBOARD_RELIST_MS = 2000;
/** A listed dashboard's cluster is checked again (in the background) at most this often. */
const DASHBOARD_RECHECK_MS = 10_000;

export class ClusterDashboards {
  constructor(
    private readonly deps: { states: SiteStates; refresher: SiteRefresher }
  ) {}

  /**
   * Where a cluster's dashboard is, for the dashboard proxy (see above). A
   * cluster not in the list yet (just started elsewhere) is looked for once
   * more at the gateway.
   */
  async gatewayOf(site: string, cluster: string): Promise<string | undefined> {
    const entry = this.deps.states.find(site);
    if (!entry) {
      return undefined;
    }
    // Only a cluster that has (or is about to have) a dashboard: a stopped
    // one's capability must open nothing, even while it is still listed.
    const isTheUsers = (): boolean =>
      entry.state.clustersAsOf === undefined &&
      entry.state.clusters.some(c => c.name === cluster && isUp(c.status));
    const refresher = this.deps.refresher;
    if (!isTheUsers()) {
      await refresher
        .refresh([site], DASHBOARD_RELIST_MS)
        .catch(() => undefined);
    } else {
      // Listed: serve it now, and check the list in the background now and
      // then, so a cluster stopped elsewhere stops being served.
      void refresher
        .refresh([site], DASHBOARD_RECHECK_MS)
        .catch(() => undefined);
    }
    const gateway = entry.config.gateway;
    return isTheUsers()
      ? (gateway.public_address ?? gateway.address)
      : undefined;
  }

  /** The plots a running cluster's scheduler lists (read as untrusted). */
  async plots(site: string, cluster: string): Promise<IDashboardPlot[]> {
    if ((await this.gatewayOf(site, cluster)) === undefined) {
      throw new SitesError(
        'no-cluster',
        `${quoted(site)} has no running cluster ${quoted(cluster)} of yours: its dashboard has no plots to list`
      );
    }
    const raw = await this.deps.states.entry(site).metrics.plotList(cluster);
    return parsePlotList(raw);
  }
}
