/**
 * A cluster's dashboard page in a main-area tab (an iframe on the dashboard
 * proxy, `<baseUrl>dask-sites/dashboard/<site>/<cluster>/<plot>`).
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { IFrame } from '@jupyterlab/ui-components';

import { sitesIcon } from '../icons';

export interface IDashboardOptions {
  url: string;
  site: string;
  siteLabel: string;
  cluster: string;
  clusterLabel: string;
  plot: string;
  trans: TranslationBundle;
}

export class DashboardWidget extends MainAreaWidget<IFrame> {
  constructor(options: IDashboardOptions) {
    // The dashboard's scripts (Bokeh) need to run and to reach their own
    // server's WebSocket under the Jupyter origin.
    const content = new IFrame({
      sandbox: ['allow-scripts', 'allow-same-origin', 'allow-downloads'],
      referrerPolicy: 'no-referrer'
    });
    content.url = options.url;
    super({ content });
    this.site = options.site;
    this.cluster = options.cluster;
    this.plot = options.plot;
    this.id = DashboardWidget.idOf(options.site, options.cluster, options.plot);
    this.addClass('jp-DaskSites-dashboard');
    this.title.icon = sitesIcon;
    this.title.label = `${options.siteLabel} · ${options.clusterLabel} · ${options.plot}`;
    this.title.caption = options.trans.__(
      'Dashboard "%1" of cluster %2 at %3',
      options.plot,
      options.clusterLabel,
      options.siteLabel
    );
    this.title.closable = true;
  }

  readonly site: string;
  readonly cluster: string;
  readonly plot: string;

  /** One tab per site, cluster and plot. */
  static idOf(site: string, cluster: string, plot: string): string {
    return `dask-sites-dashboard-${site}-${cluster}-${plot}`.replace(
      /[^A-Za-z0-9_-]/g,
      '_'
    );
  }
}
