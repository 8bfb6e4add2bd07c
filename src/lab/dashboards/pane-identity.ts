/**
 * What names a dashboard pane: its id (one pane per site, cluster and plot),
 * its tab title and caption, and the command arguments that reopen it after
 * a page reload (the layout restorer stores those).
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { IOpenDashboardArgs } from '../commands';
import { plotLabel } from './plots';

export interface IPaneNames {
  site: string;
  /** The site's label from the registry (e.g. "LUMI bridge (Kajaani)"). */
  siteLabel?: string;
  cluster: string;
  /** The cluster's display name, if the model knows it. */
  clusterName?: string;
  plot: string;
}

/** The DOM id of the pane: stable, so reopening activates the open one. */
export function paneId(site: string, cluster: string, plot: string): string {
  return `dask-sites-dashboard-${site}-${cluster}-${plot}`.replace(
    /[^A-Za-z0-9_-]/g,
    '_'
  );
}

/** Short form of a gateway cluster id, while no display name is known. */
export function shortClusterName(cluster: string): string {
  return cluster.slice(0, 8);
}

/** Tab label: "lumi · flood analysis · Task stream". */
export function paneLabel(names: IPaneNames, trans: TranslationBundle): string {
  return [
    names.site,
    names.clusterName || shortClusterName(names.cluster),
    plotLabel(names.plot, trans)
  ].join(' · ');
}

/** Tab tooltip, with the site's full label and the cluster id. */
export function paneCaption(
  names: IPaneNames,
  trans: TranslationBundle
): string {
  return trans.__(
    'Dask dashboard "%1" of cluster %2 (%3) at %4',
    plotLabel(names.plot, trans),
    names.clusterName || shortClusterName(names.cluster),
    names.cluster,
    names.siteLabel || names.site
  );
}

/** Arguments of the open command that reopen this pane (no labels: those come live). */
export function restoreArgs(names: IPaneNames): IOpenDashboardArgs {
  return { site: names.site, cluster: names.cluster, plot: names.plot };
}

/** Read the open command's arguments; `undefined` when site or cluster is missing. */
export function readOpenArgs(args: {
  [key: string]: unknown;
}): Required<Omit<IOpenDashboardArgs, 'mode'>> | undefined {
  const site = args['site'];
  const cluster = args['cluster'];
  const plot = args['plot'];
  if (typeof site !== 'string' || !site || typeof cluster !== 'string') {
    return undefined;
  }
  if (!cluster) {
    return undefined;
  }
  return {
    site,
    cluster,
    plot: typeof plot === 'string' && plot ? plot.replace(/^\/+/, '') : 'status'
  };
}
