/**
 * A dashboard the user brought (`external-url.ts`) in a main-area pane. Its
 * page is as untrusted as a cluster's: the frame has the same sandbox
 * (scripts, no same-origin), so it cannot act as the user in this Lab.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { IFrame } from '@jupyterlab/ui-components';

import { sitesIcon } from '../icons';
import { externalPaneId, externalPaneLabel } from './external-url';
import { DASHBOARD_SANDBOX } from './pane';

export class ExternalDashboardPane extends MainAreaWidget<IFrame> {
  constructor(options: ExternalDashboardPane.IOptions) {
    const frame = new IFrame({
      sandbox: DASHBOARD_SANDBOX,
      referrerPolicy: 'no-referrer'
    });
    frame.url = options.url;
    frame.node.querySelector('iframe')?.setAttribute('title', options.url);
    super({ content: frame });
    this.url = options.url;
    this.id = externalPaneId(options.url);
    this.addClass('jp-DaskSites-dashboard');
    this.addClass('jp-DaskSites-externalDashboard');
    this.title.icon = sitesIcon;
    this.title.closable = true;
    this.title.label = externalPaneLabel(options.url);
    this.title.caption = options.trans.__('Dask dashboard at %1', options.url);
  }

  /** The page's address (what the layout restorer keeps). */
  readonly url: string;
}

export namespace ExternalDashboardPane {
  export interface IOptions {
    /** Checked by `checkDashboardUrl`. */
    url: string;
    trans: TranslationBundle;
  }
}
