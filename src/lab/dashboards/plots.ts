/**
 * The dashboard pages a cluster's scheduler serves (Bokeh), as the sidebar
 * lists them. Checked against `/individual-plots.json` of the testbed's
 * scheduler (distributed 2026.x) through the sidecar's dashboard proxy.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { IDashboardPlot } from '../../protocol';

export interface IPlotItem {
  /** Path under the cluster's dashboard, e.g. `individual-task-stream`. */
  path: string;
  /** Short label for the list and the pane title. */
  label: string;
}

/** The plots offered per cluster, most useful first. */
export function dashboardPlots(trans: TranslationBundle): IPlotItem[] {
  return [
    { path: 'status', label: trans.__('Status') },
    { path: 'individual-task-stream', label: trans.__('Task stream') },
    { path: 'individual-progress', label: trans.__('Progress') },
    { path: 'individual-workers-memory', label: trans.__('Worker memory') },
    { path: 'individual-cluster-memory', label: trans.__('Cluster memory') },
    { path: 'individual-nprocessing', label: trans.__('Tasks processing') },
    { path: 'individual-graph', label: trans.__('Task graph') },
    { path: 'individual-profile', label: trans.__('Profile') },
    { path: 'individual-workers', label: trans.__('Workers') },
    { path: 'individual-cpu', label: trans.__('CPU') }
  ];
}

/**
 * The plots a scheduler listed (`individual-plots.json`), as the sidebar
 * offers them: the full Status page first (the list has only individual
 * plots), then the list, with the labels above where a path is known (so the
 * list and the pane's tab say the same).
 */
export function offeredPlots(
  listed: readonly IDashboardPlot[],
  trans: TranslationBundle
): IPlotItem[] {
  const known = new Map(dashboardPlots(trans).map(p => [p.path, p.label]));
  const items: IPlotItem[] = [{ path: 'status', label: trans.__('Status') }];
  for (const plot of listed) {
    if (plot.path !== 'status') {
      items.push({ path: plot.path, label: known.get(plot.path) ?? plot.name });
    }
  }
  return items;
}

/** The label of a plot path; unknown paths get a readable form of the path. */
export function plotLabel(path: string, trans: TranslationBundle): string {
  const known = dashboardPlots(trans).find(plot => plot.path === path);
  if (known) {
    return known.label;
  }
  const words = path
    .replace(/^individual-/, '')
    .replace(/\.html$/, '')
    .split(/[-_/]+/)
    .filter(Boolean)
    .join(' ');
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : path;
}
