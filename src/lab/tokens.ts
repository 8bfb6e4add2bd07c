/**
 * Tokens other plugins (cell tags, notebook widget, dashboards) depend on.
 */
import { Token } from '@lumino/coreutils';

import type { SidecarClient } from './api/client';
import type { SitesModel } from './model/sites-model';

/** The sites, their logins and clusters, kept live while the panel is shown. */
export interface IDaskSites {
  /** The one client of the sidecar's REST API. */
  readonly client: SidecarClient;
  readonly model: SitesModel;
}

export const IDaskSites = new Token<IDaskSites>(
  'jupyterlab-dask-sites:IDaskSites',
  'The Dask Sites model (sites, logins, clusters) and the sidecar client.'
);
