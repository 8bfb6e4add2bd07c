/** Command ids of Dask Sites. */
export namespace CommandIDs {
  /** Show the Dask Sites panel. */
  export const openSidebar = 'dask-sites:open-sidebar';
  /** Open a cluster's dashboard; args `{site, cluster, plot?}` (plot defaults to `status`). */
  export const openDashboard = 'dask-sites:open-dashboard';
  /** Open any Dask dashboard address in a pane (e.g. a LocalCluster's); args `{url}`. */
  export const openDashboardUrl = 'dask-sites:open-dashboard-url';
  /** Reload every site's state from the sidecar. */
  export const refresh = 'dask-sites:refresh';
  /** Set the Dask site of the selected cells; args `{site}` (none: ask). */
  export const setCellSite = 'dask-sites:set-cell-site';
  /** Remove the Dask site of the selected cells. */
  export const clearCellSite = 'dask-sites:clear-cell-site';
  /** Set the notebook's default site; args `{site}` (`""`: none; no args: ask). */
  export const setNotebookSite = 'dask-sites:set-notebook-site';
}

/** Arguments of `CommandIDs.openDashboard`. */
export interface IOpenDashboardArgs {
  site: string;
  cluster: string;
  /** Dashboard page, e.g. `status`, `individual-task-stream`; default `status`. */
  plot?: string;
  /** Where the pane goes (`split-right`, `tab-after`, ...); default: beside another cluster's pane. */
  mode?: string;
}

/** `IOpenDashboardArgs` as JSON Schema, for the command's `describedBy`. */
export const OPEN_DASHBOARD_ARGS = {
  type: 'object',
  properties: {
    site: { type: 'string', description: 'The site, as named in the registry' },
    cluster: { type: 'string', description: "The gateway's cluster id" },
    plot: {
      type: 'string',
      description: 'Dashboard page, e.g. status, individual-task-stream'
    },
    mode: {
      type: 'string',
      description: 'Where the pane goes (split-right, tab-after, ...)'
    }
  },
  required: ['site', 'cluster']
} as const;
