/**
 * Commands on the selected cells' site and the notebook's default site: in
 * the palette, the cell context menu and on a shortcut (`Accel Alt S`).
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { InputDialog } from '@jupyterlab/apputils';
import type { Cell } from '@jupyterlab/cells';
import type { INotebookTracker, Notebook } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';

import { CommandIDs } from '../commands';
import type { SitesModel } from '../model/sites-model';
import { getSite, setSite } from './metadata';

/** The selected (or else the active) code cells of `notebook`. */
export function selectedCodeCells(notebook: Notebook): Cell[] {
  return notebook.widgets.filter(
    cell => cell.model.type === 'code' && notebook.isSelectedOrActive(cell)
  );
}

/** Ask for a site; `undefined` when the user cancels, `null` for none. */
async function pickSite(
  sites: SitesModel,
  current: string | null,
  title: string,
  noneLabel: string,
  trans: TranslationBundle
): Promise<string | null | undefined> {
  const names = sites.sites.map(site => site.name);
  const items = [noneLabel, ...names];
  const result = await InputDialog.getItem({
    title,
    items,
    current:
      current && names.includes(current) ? names.indexOf(current) + 1 : 0,
    okLabel: trans.__('Set'),
    cancelLabel: trans.__('Cancel')
  });
  if (!result.button.accept || result.value === null) {
    return undefined;
  }
  return result.value === noneLabel ? null : result.value;
}

export function addCellTagCommands(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  sites: SitesModel,
  trans: TranslationBundle
): void {
  const notebook = () => tracker.currentWidget?.content ?? null;
  const hasCodeCells = () => {
    const nb = notebook();
    return !!nb && selectedCodeCells(nb).length > 0;
  };
  const apply = (site: string | null) => {
    const nb = notebook();
    if (!nb) {
      return 0;
    }
    let changed = 0;
    for (const cell of selectedCodeCells(nb)) {
      changed += setSite(cell.model, site) ? 1 : 0;
    }
    return changed;
  };

  app.commands.addCommand(CommandIDs.setCellSite, {
    label: args =>
      typeof args['site'] === 'string' && args['site']
        ? trans.__('Run Selected Cells at %1', String(args['site']))
        : trans.__('Set Dask Site of Selected Cells…'),
    caption: trans.__(
      'Tag the selected code cells: their Dask work runs at that site'
    ),
    isEnabled: hasCodeCells,
    describedBy: { args: Private.siteArgs },
    execute: async args => {
      const nb = notebook();
      if (!nb) {
        return;
      }
      let site: string | null | undefined =
        typeof args['site'] === 'string' ? args['site'] || null : undefined;
      if (site === undefined) {
        const active = nb.activeCell;
        site = await pickSite(
          sites,
          active ? getSite(active.model) : null,
          trans.__('Dask site of the selected cells'),
          trans.__('no site'),
          trans
        );
        if (site === undefined) {
          return;
        }
      }
      return apply(site);
    }
  });

  app.commands.addCommand(CommandIDs.clearCellSite, {
    label: trans.__('Clear Dask Site of Selected Cells'),
    caption: trans.__(
      "Remove the selected cells' site tag (they follow the notebook default)"
    ),
    isEnabled: hasCodeCells,
    describedBy: { args: Private.noArgs },
    execute: () => apply(null)
  });

  app.commands.addCommand(CommandIDs.setNotebookSite, {
    label: trans.__('Set Default Dask Site of Notebook…'),
    caption: trans.__('The site where untagged cells run their Dask work'),
    isEnabled: () => !!tracker.currentWidget?.model,
    describedBy: { args: Private.siteArgs },
    execute: async args => {
      const model = tracker.currentWidget?.model;
      if (!model) {
        return;
      }
      let site: string | null | undefined =
        typeof args['site'] === 'string' ? args['site'] || null : undefined;
      if (site === undefined) {
        site = await pickSite(
          sites,
          getSite(model),
          trans.__('Default Dask site of this notebook'),
          trans.__('none (this machine, or where the data is)'),
          trans
        );
        if (site === undefined) {
          return;
        }
      }
      setSite(model, site);
    }
  });

  app.commands.addKeyBinding({
    command: CommandIDs.setCellSite,
    keys: ['Accel Alt S'],
    selector: '.jp-Notebook'
  });
  app.contextMenu.addItem({
    command: CommandIDs.setCellSite,
    selector: '.jp-Notebook .jp-CodeCell',
    rank: 20
  });
  app.contextMenu.addItem({
    command: CommandIDs.clearCellSite,
    selector: '.jp-Notebook .jp-CodeCell.jp-DaskSites-tagged',
    rank: 21
  });
}

namespace Private {
  /** Arguments of the commands that take a site: without one, a picker asks. */
  export const siteArgs = {
    type: 'object',
    properties: {
      site: {
        type: 'string',
        description:
          'The site to tag with; an empty string clears the tag; absent: ask'
      }
    }
  } as const;

  export const noArgs = { type: 'object', properties: {} } as const;
}
