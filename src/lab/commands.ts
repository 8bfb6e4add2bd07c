/** Command ids of Dask Sites. */
export namespace CommandIDs {
  /** Show the Dask Sites panel. */
  export const openSidebar = 'dask-sites:open-sidebar';
  /** Open a cluster's dashboard; args `{site, cluster, plot?}` (plot defaults to `status`). */
  export const openDashboard = 'dask-sites:open-dashboard';
  /** Reload every site's state from the sidecar. */
  export const refresh = 'dask-sites:refresh';
}

/** Arguments of `CommandIDs.openDashboard`. */
export interface IOpenDashboardArgs {
  site: string;
  cluster: string;
  /** Dashboard page, e.g. `status`, `individual-task-stream`; default `status`. */
  plot?: string;
}
