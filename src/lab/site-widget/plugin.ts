import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';

import { TRANSLATION_DOMAIN } from '../plugin';
import { IDaskSites } from '../tokens';
import { MODULE_NAME, MODULE_VERSION } from './version';
import { siteWidgetExports } from './view';

/** The notebook widget of a site: `%site NAME`, `dask_sites.widget(NAME)`. */
export const widgetPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dask-sites:widget',
  description:
    "A site's live card in a notebook's output: clusters, scale, adapt, dashboard.",
  autoStart: true,
  requires: [IJupyterWidgetRegistry, IDaskSites],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    registry: IJupyterWidgetRegistry,
    sites: IDaskSites,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: siteWidgetExports({ sites, commands: app.commands, trans })
    });
  }
};
