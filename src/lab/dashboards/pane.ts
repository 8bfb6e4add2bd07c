/**
 * A cluster's dashboard page in a main-area pane: an iframe on the sidecar's
 * stable dashboard link (`<baseUrl>dask-sites/dashboard/<site>/<cluster>/<plot>`),
 * and a notice in its place once the cluster has stopped.
 *
 * Security: the page runs code its site controls, so the frame has an
 * opaque origin (scripts, no same-origin): it cannot read Jupyter's
 * cookies, call Jupyter's API as the user or script this window. The link
 * redirects it to a capability URL that serves that one cluster's dashboard
 * without any cookie (see ARCHITECTURE.md, "Dashboards"). The sandbox also
 * blocks top navigation, popups and forms.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { IFrame } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { sitesIcon } from '../icons';
import type { SitesModel } from '../model/sites-model';
import { paneClusterState } from './cluster-state';
import {
  type IPaneNames,
  paneCaption,
  paneId,
  paneLabel,
  restoreArgs
} from './pane-identity';
import { type IPaneNotice, paneNotice } from './pane-notice';

/** Sandbox tokens of the dashboard frame. */
export const DASHBOARD_SANDBOX: IFrame.SandboxExceptions[] = [
  'allow-scripts',
  // Bokeh's "save" tool downloads a PNG.
  'allow-downloads'
];

export class DashboardPane extends MainAreaWidget<Panel> {
  constructor(options: DashboardPane.IOptions) {
    const content = new Panel();
    content.addClass('jp-DaskSites-dashboardContent');
    const frame = new IFrame({
      sandbox: DASHBOARD_SANDBOX,
      referrerPolicy: 'no-referrer'
    });
    frame.node.querySelector('iframe')?.setAttribute('title', options.plot);
    const notice = new Widget();
    notice.addClass('jp-DaskSites-dashboardNotice');
    notice.node.setAttribute('role', 'status');
    notice.hide();
    content.addWidget(frame);
    content.addWidget(notice);
    super({ content });

    this.site = options.site;
    this.cluster = options.cluster;
    this.plot = options.plot;
    this._url = options.url;
    this._model = options.model;
    this._trans = options.trans;
    this._frame = frame;
    this._notice = notice;
    this.id = paneId(options.site, options.cluster, options.plot);
    this.addClass('jp-DaskSites-dashboard');
    this.title.icon = sitesIcon;
    this.title.closable = true;
    this._model.changed.connect(this._update, this);
    this._update();
  }

  readonly site: string;
  readonly cluster: string;
  readonly plot: string;

  /** Names for the title, as the model knows them now. */
  get names(): IPaneNames {
    const site = this._model.site(this.site);
    const cluster = site?.clusters.find(c => c.name === this.cluster);
    return {
      site: this.site,
      siteLabel: site?.label,
      cluster: this.cluster,
      clusterName: cluster?.displayName,
      plot: this.plot
    };
  }

  /** What the layout restorer stores for this pane. */
  get restoreArgs(): ReturnType<typeof restoreArgs> {
    return restoreArgs(this.names);
  }

  /** The notice shown instead of the page, if any. */
  get notice(): IPaneNotice | null {
    return this._current;
  }

  /** The frame's address, or `null` while it shows nothing. */
  get frameUrl(): string | null {
    return this._loaded ? this._url : null;
  }

  /** Load the page again (after its cluster came back). */
  reload(): void {
    this._interrupted = false;
    this._frame.url = 'about:blank';
    this._loaded = false;
    this._update();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.changed.disconnect(this._update, this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // Live updates run while the sidebar is shown; otherwise check once now.
    if (!this._model.active) {
      void this._model.refresh();
    }
  }

  private _update(): void {
    if (this.isDisposed) {
      return;
    }
    const names = this.names;
    this.title.label = paneLabel(names, this._trans);
    this.title.caption = paneCaption(names, this._trans);

    const state = paneClusterState(
      !this._model.loading,
      this._model.sites,
      this.site,
      this.cluster
    );
    const notice = paneNotice(state, names, this._interrupted, this._trans);
    if (notice?.kind === 'ended' || notice?.kind === 'missing') {
      if (this._loaded) {
        this._frame.url = 'about:blank';
        this._loaded = false;
      }
      this._interrupted = true;
    } else if (!notice && !this._loaded) {
      this._frame.url = this._url;
      this._loaded = true;
    }
    this._showNotice(notice);
  }

  private _showNotice(notice: IPaneNotice | null): void {
    const same =
      notice?.kind === this._current?.kind &&
      notice?.message === this._current?.message;
    this._current = notice;
    this.toggleClass('jp-mod-ended', !!notice && notice.kind !== 'starting');
    if (!notice) {
      this._notice.hide();
      this._frame.show();
      return;
    }
    this._frame.setHidden(!this._loaded);
    this._notice.show();
    if (same) {
      return;
    }
    const node = this._notice.node;
    node.replaceChildren();
    node.dataset.kind = notice.kind;
    const text = document.createElement('p');
    text.textContent = notice.message;
    node.appendChild(text);
    const actions = document.createElement('div');
    actions.className = 'jp-DaskSites-dashboardNoticeActions';
    if (notice.kind === 'back') {
      actions.appendChild(
        this._button(this._trans.__('Reload dashboard'), () => this.reload())
      );
    }
    if (notice.kind !== 'starting') {
      actions.appendChild(
        this._button(this._trans.__('Close pane'), () => this.close())
      );
    }
    if (actions.childElementCount) {
      node.appendChild(actions);
    }
  }

  private _button(label: string, onClick: () => void): HTMLButtonElement {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'jp-mod-styled jp-mod-reject';
    button.textContent = label;
    button.addEventListener('click', onClick);
    return button;
  }

  private readonly _url: string;
  private readonly _model: SitesModel;
  private readonly _trans: TranslationBundle;
  private readonly _frame: IFrame;
  private readonly _notice: Widget;
  private _loaded = false;
  private _interrupted = false;
  private _current: IPaneNotice | null = null;
}

export namespace DashboardPane {
  export interface IOptions {
    site: string;
    cluster: string;
    plot: string;
    /** The page's address on the dashboard proxy. */
    url: string;
    model: SitesModel;
    trans: TranslationBundle;
  }
}
