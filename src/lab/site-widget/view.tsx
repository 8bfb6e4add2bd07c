/**
 * The ipywidgets model and view of a site widget (`%site NAME`,
 * `dask_sites.widget(NAME)`). The kernel syncs only `site`; the view renders
 * the labextension's live model of that site, and holds the model live while
 * the widget is on screen.
 */
import {
  DOMWidgetModel,
  DOMWidgetView,
  type ExportMap
} from '@jupyter-widgets/base';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import type { IDisposable } from '@lumino/disposable';
import type { Message } from '@lumino/messaging';
import * as React from 'react';
import { createRoot, type Root } from 'react-dom/client';

import type { IDaskSites } from '../tokens';
import { SiteWidgetContent } from './content';
import { MODULE_NAME, MODULE_VERSION } from './version';

/** What the views need from the application. */
export interface ISiteWidgetContext {
  sites: IDaskSites;
  /** For actions that are commands (open a dashboard). */
  commands: CommandRegistry;
  trans: TranslationBundle;
}

export class SiteWidgetModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: 'SiteWidgetModel',
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: 'SiteWidgetView',
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      site: ''
    };
  }
}

/** The classes to register under MODULE_NAME, their views bound to `context`. */
export function siteWidgetExports(context: ISiteWidgetContext): ExportMap {
  class SiteWidgetView extends DOMWidgetView {
    render(): void {
      this.el.classList.add('jp-DaskSites-widget');
      this._root = createRoot(this.el);
      document.addEventListener('visibilitychange', this._onVisibility);
      this.update();
    }

    /** Any change of the model (the kernel may set another site). */
    update(): void {
      this._root?.render(
        <SiteWidgetContent
          model={context.sites.model}
          site={String(this.model.get('site') ?? '')}
          commands={context.commands}
          trans={context.trans}
        />
      );
    }

    processLuminoMessage(msg: Message): void {
      super.processLuminoMessage(msg);
      switch (msg.type) {
        case 'after-attach':
        case 'after-show':
        case 'after-hide':
          this.updateHold(this.luminoWidget.isAttached);
          break;
        case 'before-detach':
          this.updateHold(false);
          break;
      }
    }

    remove(): void {
      document.removeEventListener('visibilitychange', this._onVisibility);
      this.updateHold(false);
      this._root?.unmount();
      this._root = undefined;
      return super.remove();
    }

    /** Live while on screen: attached, visible, and the browser tab shown. */
    private updateHold(attached: boolean): void {
      const wanted =
        attached &&
        this.luminoWidget.isVisible &&
        document.visibilityState !== 'hidden';
      if (wanted && !this._hold) {
        this._hold = context.sites.model.hold();
      } else if (!wanted && this._hold) {
        this._hold.dispose();
        this._hold = undefined;
      }
    }

    private readonly _onVisibility = () =>
      this.updateHold(this.luminoWidget.isAttached);
    private _root: Root | undefined;
    private _hold: IDisposable | undefined;
  }

  return { SiteWidgetModel, SiteWidgetView };
}
