/**
 * Cell site tags: the cell-toolbar picker, the notebook's default site in
 * its toolbar, badges on tagged cells, the run-record renderer, commands,
 * and the notebook default handed to the kernel before a cell runs.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IToolbarWidgetRegistry } from '@jupyterlab/apputils';
import type { Cell } from '@jupyterlab/cells';
import {
  INotebookTracker,
  NotebookActions,
  type NotebookPanel
} from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { CommandIDs } from '../commands';
import { TRANSLATION_DOMAIN } from '../plugin';
import { IDaskSites } from '../tokens';
import { addCellTagCommands } from './commands';
import { KernelDefaults } from './kernel-default';
import { followKernelDefault } from './kernel-reports';
import { getSite, setSite } from './metadata';
import { NotebookBadges } from './notebook-badges';
import { progressRendererFactory } from './progress-renderer';
import { recordRendererFactory } from './record-renderer';
import {
  createCellSitePicker,
  createNotebookSitePicker
} from './toolbar-items';

/** Toolbar item names (as in `schema/plugin.json`). */
export const CELL_TOOLBAR_ITEM = 'dask-sites-cell-site';
export const NOTEBOOK_TOOLBAR_ITEM = 'dask-sites-notebook-site';

export const cellTagsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dask-sites:cell-tags',
  description:
    'Tag notebook cells with the Dask site that runs their work; badges show where they ran.',
  autoStart: true,
  requires: [IDaskSites, INotebookTracker],
  optional: [
    ITranslator,
    IToolbarWidgetRegistry,
    IRenderMimeRegistry,
    ICommandPalette
  ],
  activate: (
    app: JupyterFrontEnd,
    daskSites: IDaskSites,
    tracker: INotebookTracker,
    translator: ITranslator | null,
    toolbars: IToolbarWidgetRegistry | null,
    rendermime: IRenderMimeRegistry | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const sites = daskSites.model;
    // Pickers and badge colours need the site list even while the panel is
    // closed (the panel keeps it live while shown): load it once.
    void app.restored.then(() => {
      if (sites.loading) {
        void sites.refresh();
      }
    });

    toolbars?.addFactory<Cell>('Cell', CELL_TOOLBAR_ITEM, cell =>
      createCellSitePicker(cell, sites, trans)
    );
    toolbars?.addFactory<NotebookPanel>(
      'Notebook',
      NOTEBOOK_TOOLBAR_ITEM,
      panel => createNotebookSitePicker(panel, sites, trans)
    );

    const colour = (site: string) => sites.site(site)?.colour;
    rendermime?.addFactory(recordRendererFactory(trans, colour));
    rendermime?.addFactory(progressRendererFactory(trans, colour));

    const defaults = new KernelDefaults();
    tracker.widgetAdded.connect((_, panel) => {
      const badges = new NotebookBadges(panel.content, sites, trans);
      const unfollow = followDefaults(panel, defaults);
      panel.disposed.connect(() => {
        badges.dispose();
        unfollow();
      });
    });

    NotebookActions.executionScheduled.connect((_, { notebook }) => {
      const panel = tracker.find(p => p.content === notebook);
      const kernel = panel?.sessionContext.session?.kernel;
      const language = panel?.model?.getMetadata('language_info')?.name;
      if (!panel || !kernel || (language && language !== 'python')) {
        return;
      }
      defaults.beforeExecute(kernel, getSite(panel.model));
    });

    addCellTagCommands(app, tracker, sites, trans);
    for (const command of [
      CommandIDs.setCellSite,
      CommandIDs.clearCellSite,
      CommandIDs.setNotebookSite
    ]) {
      palette?.addItem({ command, category: trans.__('Dask') });
    }
  }
};

/** The notebook's default follows its kernel's `%site` (whichever kernel it has now). */
function followDefaults(
  panel: NotebookPanel,
  defaults: KernelDefaults
): () => void {
  let unfollow = () => {};
  const follow = () => {
    unfollow();
    const kernel = panel.sessionContext.session?.kernel;
    unfollow = kernel
      ? followKernelDefault(kernel, defaults, site => {
          if (panel.model) {
            setSite(panel.model, site);
          }
        })
      : () => {};
  };
  panel.sessionContext.kernelChanged.connect(follow);
  follow();
  return () => {
    panel.sessionContext.kernelChanged.disconnect(follow);
    unfollow();
  };
}
