/**
 * Whether a dashboard pane's cluster can still serve its dashboard, from the
 * sites model (live while the sidebar is shown, refreshed when a pane is).
 */
import type { IClusterInfo, ISiteState } from '../../protocol';

export type PaneClusterState =
  /** The model has not loaded yet: keep the page, say nothing. */
  | { kind: 'unknown' }
  | { kind: 'running'; site: ISiteState; cluster: IClusterInfo }
  | { kind: 'starting'; site: ISiteState; cluster: IClusterInfo }
  /** Stopped, stopping or failed: its dashboard is gone. */
  | { kind: 'ended'; site: ISiteState; cluster: IClusterInfo }
  /** The gateway no longer lists it (or the site left the registry). */
  | { kind: 'missing'; site?: ISiteState };

/** What the pane of `site`/`cluster` should show, given the model's sites. */
export function paneClusterState(
  loaded: boolean,
  sites: readonly ISiteState[],
  site: string,
  cluster: string
): PaneClusterState {
  if (!loaded) {
    return { kind: 'unknown' };
  }
  const siteState = sites.find(s => s.name === site);
  if (!siteState) {
    return { kind: 'missing' };
  }
  const info = siteState.clusters.find(c => c.name === cluster);
  if (!info) {
    // A site that is down or logged out lists no clusters: we cannot tell.
    if (
      siteState.reachability.status !== 'up' ||
      (siteState.login.status !== 'logged-in' &&
        siteState.login.status !== 'not-required')
    ) {
      return { kind: 'unknown' };
    }
    return { kind: 'missing', site: siteState };
  }
  switch (info.status) {
    case 'RUNNING':
      return { kind: 'running', site: siteState, cluster: info };
    case 'PENDING':
      return { kind: 'starting', site: siteState, cluster: info };
    default:
      return { kind: 'ended', site: siteState, cluster: info };
  }
}
