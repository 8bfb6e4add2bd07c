import { Widget } from '@lumino/widgets';

import { sitesIcon } from './icons';

/** Id of the sidebar widget (stable: the layout restorer keys on it). */
export const SIDEBAR_ID = 'dask-sites-sidebar';

/**
 * The Dask Sites panel in the left sidebar. For now it only says that the
 * sites come from the server; site cards arrive with the sidecar API.
 */
export class SitesSidebar extends Widget {
  constructor() {
    super();
    this.id = SIDEBAR_ID;
    this.addClass('jp-DaskSites-sidebar');
    this.title.icon = sitesIcon;
    this.title.caption = 'Dask Sites';

    const header = document.createElement('header');
    header.className = 'jp-DaskSites-header';
    header.textContent = 'Dask Sites';

    const placeholder = document.createElement('p');
    placeholder.className = 'jp-DaskSites-placeholder';
    placeholder.textContent =
      'Sites will appear here once the Dask Sites server is running.';

    this.node.append(header, placeholder);
  }
}
