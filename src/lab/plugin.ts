import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { SidecarClient } from './api/client';
import { LiveConnection } from './api/live';
import { CommandIDs } from './commands';
import { sitesIcon } from './icons';
import { readSettings } from './model/settings';
import { SitesModel } from './model/sites-model';
import { IDaskSites } from './tokens';
import { SitesSidebar } from './sidebar';

/** Plugin id; `schema/plugin.json` holds its settings. */
export const PLUGIN_ID = 'jupyterlab-dask-sites:plugin';

/** Translation domain (the Python package's name, as JupyterLab expects). */
export const TRANSLATION_DOMAIN = 'jupyterlab_dask_sites';

/** The Dask Sites panel, its model and commands. */
export const sidebarPlugin: JupyterFrontEndPlugin<IDaskSites> = {
  id: PLUGIN_ID,
  description:
    'The Dask Sites panel: log in to sites, start and scale their clusters.',
  autoStart: true,
  provides: IDaskSites,
  optional: [
    ITranslator,
    ISettingRegistry,
    ICommandPalette,
    ILayoutRestorer,
    ILauncher
  ],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    launcher: ILauncher | null
  ): IDaskSites => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const serverSettings = app.serviceManager.serverSettings;
    const client = new SidecarClient({ serverSettings });
    const live = new LiveConnection({
      url: () => client.liveUrl,
      WebSocket: serverSettings.WebSocket
    });
    const model = new SitesModel({ client, live });

    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          model.settings = readSettings(settings);
          settings.changed.connect(() => {
            model.settings = readSettings(settings);
          });
        })
        .catch(reason => {
          console.warn('Dask Sites: could not load the settings', reason);
        });
    }

    // The code-flow popup's last page tells its opener that the login ended.
    window.addEventListener('message', event => {
      const data = event.data as { type?: unknown } | null;
      if (
        event.origin === window.location.origin &&
        data?.type === 'dask-sites-login'
      ) {
        void model.refresh();
      }
    });

    const sidebar = new SitesSidebar({ model, commands: app.commands, trans });
    app.shell.add(sidebar, 'left', { rank: 600 });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: args =>
        args['isLauncher']
          ? trans.__('Dask Sites')
          : trans.__('Show Dask Sites'),
      caption: trans.__('Open the Dask Sites panel in the left sidebar'),
      icon: args => (args['isPalette'] ? undefined : sitesIcon),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(sidebar.id)
    });

    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Dask Sites'),
      caption: trans.__('Reload every site and reconnect live updates'),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => model.refresh()
    });

    // In the Launcher beside notebooks: where a new user finds the panel.
    launcher?.add({
      command: CommandIDs.openSidebar,
      category: trans.__('Other'),
      rank: 0
    });
    palette?.addItem({
      command: CommandIDs.openSidebar,
      category: trans.__('Dask')
    });
    palette?.addItem({
      command: CommandIDs.refresh,
      category: trans.__('Dask')
    });

    return { client, model };
  }
};
