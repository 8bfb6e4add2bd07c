import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { CommandIDs } from './commands';
import { sitesIcon } from './icons';
import { SitesSidebar } from './sidebar';

/** The Dask Sites sidebar and its command. */
export const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dask-sites:plugin',
  description: 'Adds the Dask Sites panel to the left sidebar.',
  autoStart: true,
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const sidebar = new SitesSidebar();
    app.shell.add(sidebar, 'left', { rank: 600 });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Show Dask Sites',
      caption: 'Open the Dask Sites panel in the left sidebar',
      icon: args => (args['isPalette'] ? undefined : sitesIcon),
      execute: () => app.shell.activateById(sidebar.id)
    });
    palette?.addItem({ command: CommandIDs.openSidebar, category: 'Dask' });
  }
};
