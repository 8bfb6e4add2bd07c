/**
 * The Dask Sites panel in the left sidebar. It tells the model when it is
 * shown, so the live connection runs only then (and not while the browser
 * tab is in the background).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { SitesPanel } from './components/sites-panel';
import { sitesIcon } from './icons';
import type { SitesModel } from './model/sites-model';

/** Id of the sidebar widget (stable: the layout restorer keys on it). */
export const SIDEBAR_ID = 'dask-sites-sidebar';

export class SitesSidebar extends ReactWidget {
  constructor(options: SitesSidebar.IOptions) {
    super();
    this.model = options.model;
    this._commands = options.commands;
    this._trans = options.trans;
    this.id = SIDEBAR_ID;
    this.addClass('jp-DaskSites-sidebar');
    this.title.icon = sitesIcon;
    this.title.caption = this._trans.__('Dask Sites');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', this._trans.__('Dask Sites'));
    document.addEventListener('visibilitychange', this._onVisibility);
  }

  readonly model: SitesModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    document.removeEventListener('visibilitychange', this._onVisibility);
    this.model.setActive(false);
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <SitesPanel
        model={this.model}
        commands={this._commands}
        trans={this._trans}
      />
    );
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.updateActive();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.updateActive();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.updateActive();
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.setActive(false);
    super.onBeforeDetach(msg);
  }

  private updateActive(): void {
    this.model.setActive(
      this.isAttached && this.isVisible && document.visibilityState !== 'hidden'
    );
  }

  private readonly _onVisibility = () => this.updateActive();
  private readonly _commands: CommandRegistry;
  private readonly _trans: TranslationBundle;
}

export namespace SitesSidebar {
  export interface IOptions {
    model: SitesModel;
    /** For actions that are commands (open dashboard). */
    commands: CommandRegistry;
    trans: TranslationBundle;
  }
}
