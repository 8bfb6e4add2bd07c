/**
 * Toolbar items: the site picker of the cell toolbar (code cells only) and
 * the notebook's default site in the notebook toolbar. Both read and write
 * the `dask-sites` metadata and follow its changes live.
 */
import type { Cell } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import type { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import type { SitesModel } from '../model/sites-model';
import { type IMetadataHolder, getSite, setSite } from './metadata';
import { SiteSelect } from './site-select';

interface IWatched extends IMetadataHolder {
  readonly metadataChanged: ISignal<any, any>;
}

/** Re-render `widget` whenever the holder's metadata or the sites change. */
class MetadataSelect extends ReactWidget {
  constructor(
    private readonly _holder: () => IWatched | null,
    private readonly _sites: SitesModel,
    private readonly _props: {
      noneLabel: string;
      title: string;
      trans: TranslationBundle;
    }
  ) {
    super();
    this.addClass('jp-DaskSites-toolbarSite');
    _sites.changed.connect(this.update, this);
  }

  watch(holder: IWatched | null): void {
    this._watched?.metadataChanged.disconnect(this.update, this);
    this._watched = holder;
    holder?.metadataChanged.connect(this.update, this);
    this.update();
  }

  dispose(): void {
    this._watched?.metadataChanged.disconnect(this.update, this);
    this._sites.changed.disconnect(this.update, this);
    super.dispose();
  }

  protected render(): JSX.Element {
    const holder = this._holder();
    return (
      <SiteSelect
        sites={this._sites.sites}
        value={getSite(holder)}
        onChange={site => {
          if (holder) {
            setSite(holder, site);
          }
        }}
        {...this._props}
      />
    );
  }

  private _watched: IWatched | null = null;
}

/** The cell toolbar's site picker; an empty item on markdown and raw cells. */
export function createCellSitePicker(
  cell: Cell,
  sites: SitesModel,
  trans: TranslationBundle
): Widget {
  if (cell.model.type !== 'code') {
    return new Widget();
  }
  const widget = new MetadataSelect(() => cell.model, sites, {
    noneLabel: trans.__('no site'),
    title: trans.__('Dask site of this cell (where its Dask work runs)'),
    trans
  });
  widget.watch(cell.model);
  return widget;
}

/** The notebook toolbar's default site. */
export function createNotebookSitePicker(
  panel: NotebookPanel,
  sites: SitesModel,
  trans: TranslationBundle
): Widget {
  const widget = new MetadataSelect(() => panel.model, sites, {
    noneLabel: trans.__('default: none'),
    title: trans.__(
      'Default Dask site of this notebook (for cells without a site)'
    ),
    trans
  });
  widget.addClass('jp-DaskSites-notebookSite');
  widget.watch(panel.model);
  panel.context.ready
    .then(() => widget.watch(panel.model))
    .catch(() => undefined);
  return widget;
}
