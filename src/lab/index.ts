import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { cellTagsPlugin } from './celltags/plugin';
import { dashboardsPlugin } from './dashboards/plugin';
import { sidebarPlugin } from './plugin';
import { widgetPlugin } from './site-widget/plugin';

export { SidecarClient } from './api/client';
export { SidecarError } from './api/errors';
export { LiveConnection, type LiveStatus } from './api/live';
export { CommandIDs, type IOpenDashboardArgs } from './commands';
export { SitesModel } from './model/sites-model';
export { IDaskSites } from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  sidebarPlugin,
  widgetPlugin,
  dashboardsPlugin,
  cellTagsPlugin
];

export default plugins;
