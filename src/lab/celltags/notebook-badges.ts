/**
 * Badges on all code cells of one notebook: follows added, removed and
 * retyped cells, and redraws on changes of the sites (colours) or settings.
 */
import { CodeCell, type Cell } from '@jupyterlab/cells';
import type { Notebook } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';

import type { SitesModel } from '../model/sites-model';
import { CellBadge } from './cell-badge';

export class NotebookBadges implements IDisposable {
  constructor(
    private readonly _notebook: Notebook,
    private readonly _sites: SitesModel,
    private readonly _trans: TranslationBundle
  ) {
    _notebook.model?.cells.changed.connect(this.sync, this);
    _notebook.modelChanged.connect(this._onModelChanged, this);
    _sites.changed.connect(this.updateAll, this);
    this.sync();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The badge of `cell`, if it has a badge object. */
  badgeOf(cell: Cell): CellBadge | undefined {
    return this._badges.get(cell);
  }

  /** Attach badges to new code cells, drop those of cells that went. */
  sync(): void {
    if (this._disposed) {
      return;
    }
    const seen = new Set<Cell>();
    for (const cell of this._notebook.widgets) {
      if (!(cell instanceof CodeCell)) {
        continue;
      }
      seen.add(cell);
      if (!this._badges.has(cell)) {
        this._badges.set(cell, new CellBadge(cell, this._sites, this._trans));
      }
    }
    for (const [cell, badge] of this._badges) {
      if (!seen.has(cell)) {
        badge.dispose();
        this._badges.delete(cell);
      }
    }
  }

  updateAll(): void {
    for (const badge of this._badges.values()) {
      badge.update();
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._notebook.model?.cells.changed.disconnect(this.sync, this);
    this._notebook.modelChanged.disconnect(this._onModelChanged, this);
    this._sites.changed.disconnect(this.updateAll, this);
    for (const badge of this._badges.values()) {
      badge.dispose();
    }
    this._badges.clear();
  }

  private _onModelChanged(): void {
    this._notebook.model?.cells.changed.connect(this.sync, this);
    this.sync();
  }

  private readonly _badges = new Map<Cell, CellBadge>();
  private _disposed = false;
}
