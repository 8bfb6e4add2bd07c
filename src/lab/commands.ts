/** Command ids of Dask Sites. */
export namespace CommandIDs {
  export const openSidebar = 'dask-sites:open-sidebar';
}
