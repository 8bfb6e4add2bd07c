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
import { getSite } from './metadata';
import { NotebookBadges } from './notebook-badges';
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

    rendermime?.addFactory(
      recordRendererFactory(trans, site => sites.site(site)?.colour)
    );

    tracker.widgetAdded.connect((_, panel) => {
      const badges = new NotebookBadges(panel.content, sites, trans);
      panel.disposed.connect(() => badges.dispose());
    });

    const defaults = new KernelDefaults();
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
