/**
 * The badge on one code cell: a class on the cell node (coloured stripe) and
 * a small label at the bottom right of its input, kept in step with the
 * cell's metadata, its outputs (the run record) and the sites' colours. The
 * cell toolbar shows only on the active cell, so the badge is what marks a
 * tagged cell permanently (the way jupyterlab-sos colours cells).
 */
import type { CodeCell } from '@jupyterlab/cells';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';

import type { SitesModel } from '../model/sites-model';
import { type IBadge, badgeFor } from './badge-state';
import { getSite } from './metadata';
import { findRecord } from './record';

export const TAGGED_CLASS = 'jp-DaskSites-tagged';
export const AUTO_CLASS = 'jp-DaskSites-autoRouted';
export const BADGE_CLASS = 'jp-DaskSites-badge';

export class CellBadge implements IDisposable {
  constructor(
    readonly cell: CodeCell,
    private readonly _sites: SitesModel,
    private readonly _trans: TranslationBundle
  ) {
    cell.model.metadataChanged.connect(this.update, this);
    cell.model.outputs.changed.connect(this.update, this);
    void cell.ready.then(() => this.update());
    this.update();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The badge shown now, if any. */
  get badge(): IBadge | null {
    return this._badge;
  }

  update(): void {
    if (this._disposed || this.cell.isDisposed) {
      return;
    }
    const badge = this._sites.settings.showBadges
      ? badgeFor(
          {
            site: getSite(this.cell.model),
            record: findRecord(this.cell.model.outputs)
          },
          this._trans
        )
      : null;
    this._badge = badge;
    this.render(badge);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (!this.cell.isDisposed) {
      this.cell.model.metadataChanged.disconnect(this.update, this);
      this.cell.model.outputs.changed.disconnect(this.update, this);
      this.render(null);
    }
  }

  private render(badge: IBadge | null): void {
    const node = this.cell.node;
    node.classList.toggle(TAGGED_CLASS, badge?.kind === 'tagged');
    node.classList.toggle(AUTO_CLASS, badge?.kind === 'auto');
    const colour = badge ? this._sites.site(badge.site)?.colour : undefined;
    if (colour) {
      node.style.setProperty('--jp-DaskSites-site-colour', colour);
    } else {
      node.style.removeProperty('--jp-DaskSites-site-colour');
    }
    const host = this.cell.inputArea?.node;
    if (!badge || !host) {
      this._label?.remove();
      this._label = null;
      return;
    }
    if (!this._label) {
      this._label = document.createElement('span');
      this._label.className = BADGE_CLASS;
    }
    if (this._label.parentElement !== host) {
      host.appendChild(this._label);
    }
    this._label.dataset.kind = badge.kind;
    this._label.textContent = badge.text;
    this._label.title = badge.title;
    this._label.setAttribute('aria-label', badge.title);
  }

  private _badge: IBadge | null = null;
  private _label: HTMLSpanElement | null = null;
  private _disposed = false;
}
