/**
 * Renders the kernel's run record (`application/vnd.dask-sites.record+json`)
 * as one compact line under the cell, instead of its text/plain fallback:
 * "ran at lumi · 0.8 s · 1.23 kB back".
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { RECORD_MIMETYPE, formatRecord, parseRecord } from './record';

export class RecordRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly _trans: TranslationBundle) {
    super();
    this.addClass('jp-DaskSites-record');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const record = parseRecord(model.data[RECORD_MIMETYPE]);
    this.node.replaceChildren();
    if (!record) {
      this.node.textContent = String(model.data['text/plain'] ?? '');
      return Promise.resolve();
    }
    const colourOf = this._colour;
    for (const site of record.sites) {
      const dot = document.createElement('span');
      dot.className = 'jp-DaskSites-recordDot';
      const colour = colourOf?.(site);
      if (colour) {
        dot.style.setProperty('--jp-DaskSites-site-colour', colour);
      }
      dot.setAttribute('aria-hidden', 'true');
      this.node.appendChild(dot);
    }
    const text = document.createElement('span');
    text.textContent = formatRecord(record, this._trans);
    this.node.appendChild(text);
    this.node.title = this._trans.__('Routed by %1', record.source);
    return Promise.resolve();
  }

  /** Site colours, when the sites model is at hand. */
  _colour?: (site: string) => string | undefined;
}

/** The factory to add to the rendermime registry (rank before text/plain). */
export function recordRendererFactory(
  trans: TranslationBundle,
  colour?: (site: string) => string | undefined
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [RECORD_MIMETYPE],
    defaultRank: 40,
    createRenderer: () => {
      const renderer = new RecordRenderer(trans);
      renderer._colour = colour;
      return renderer;
    }
  };
}
