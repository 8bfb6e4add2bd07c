/**
 * Renders the live progress of a cell's remote work
 * (`application/vnd.dask-sites.progress+json`, `kernel/progress.py`): one
 * line per site part (and per step here), in the site's colour, with tasks
 * done of total and the seconds so far. The kernel updates the output about
 * once a second and replaces it with the cell's record when the cell ends.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { formatSeconds } from './record';

export const PROGRESS_MIMETYPE = 'application/vnd.dask-sites.progress+json';

export interface IProgressStep {
  label: string;
  /** `null`: this kernel. */
  site: string | null;
  done: number | null;
  total: number | null;
  seconds: number;
  state: 'running' | 'done' | 'failed';
}

const STATES = new Set(['running', 'done', 'failed']);

/** The steps of a progress output; malformed entries are left out. */
export function parseProgress(data: unknown): IProgressStep[] {
  const steps = (data as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) {
    return [];
  }
  const count = (v: unknown) =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
  return steps.slice(0, 50).flatMap((raw: unknown) => {
    const s = raw as Partial<Record<keyof IProgressStep, unknown>>;
    if (!s || typeof s.label !== 'string' || !STATES.has(String(s.state))) {
      return [];
    }
    return [
      {
        label: s.label.slice(0, 64),
        site: typeof s.site === 'string' ? s.site : null,
        done: count(s.done),
        total: count(s.total),
        seconds: count(s.seconds) ?? 0,
        state: s.state as IProgressStep['state']
      }
    ];
  });
}

export class ProgressRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly _trans: TranslationBundle,
    private readonly _colour?: (site: string) => string | undefined
  ) {
    super();
    this.addClass('jp-DaskSites-progress');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const trans = this._trans;
    this.node.replaceChildren(
      ...parseProgress(model.data[PROGRESS_MIMETYPE]).map(step => {
        const row = document.createElement('div');
        row.className = 'jp-DaskSites-progressStep';
        row.dataset.state = step.state;
        const colour = step.site ? this._colour?.(step.site) : undefined;
        if (colour) {
          row.style.setProperty('--jp-DaskSites-site-colour', colour);
        }
        const label = document.createElement('span');
        label.className = 'jp-DaskSites-progressLabel';
        label.textContent = step.label;
        const bar = document.createElement('progress');
        bar.setAttribute('aria-label', trans.__('Progress at %1', step.label));
        if (step.total) {
          bar.max = step.total;
          bar.value = step.done ?? 0;
        } else if (step.state !== 'running') {
          bar.max = 1;
          bar.value = 1;
        }
        const figures = document.createElement('span');
        figures.className = 'jp-DaskSites-progressFigures';
        const tasks = step.total
          ? trans.__('%1/%2 tasks', step.done ?? 0, step.total)
          : step.state === 'running'
            ? trans.__('running…')
            : '';
        const state = step.state === 'failed' ? ` · ${trans.__('failed')}` : '';
        figures.textContent = `${tasks}${tasks ? ' · ' : ''}${formatSeconds(step.seconds)}${state}`;
        row.append(label, bar, figures);
        return row;
      })
    );
    return Promise.resolve();
  }
}

/** The factory to add to the rendermime registry (rank before text/plain). */
export function progressRendererFactory(
  trans: TranslationBundle,
  colour?: (site: string) => string | undefined
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [PROGRESS_MIMETYPE],
    defaultRank: 40,
    createRenderer: () => new ProgressRenderer(trans, colour)
  };
}
