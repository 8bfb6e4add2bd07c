/**
 * Dashboard panes: the open commands (a cluster's plot; any dashboard
 * address), the trackers that let the layout restorer reopen panes after a
 * reload, and where a new pane goes.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { CommandIDs, OPEN_DASHBOARD_ARGS } from '../commands';
import { TRANSLATION_DOMAIN } from '../plugin';
import { IDaskSites } from '../tokens';
import { ExternalDashboardPane } from './external-pane';
import { checkDashboardUrl, externalPaneId } from './external-url';
import { DashboardPane } from './pane';
import { paneId, readOpenArgs } from './pane-identity';
import { placeNewPane } from './placement';

export const dashboardsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dask-sites:dashboards',
  description:
    'Dask dashboard panes of any cluster at any site, side by side, restored after a reload.',
  autoStart: true,
  requires: [IDaskSites],
  optional: [ITranslator, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    daskSites: IDaskSites,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const { client, model } = daskSites;
    const tracker = new WidgetTracker<DashboardPane>({
      namespace: 'dask-sites-dashboards'
    });

    app.commands.addCommand(CommandIDs.openDashboard, {
      label: args =>
        args['cluster']
          ? trans.__('Open Dashboard of %1', String(args['cluster']))
          : trans.__('Open Cluster Dashboard'),
      caption: trans.__("Open a cluster's Dask dashboard in a pane"),
      isEnabled: args => readOpenArgs(args) !== undefined,
      describedBy: { args: OPEN_DASHBOARD_ARGS },
      execute: async raw => {
        const args = readOpenArgs(raw);
        if (!args) {
          return;
        }
        const id = paneId(args.site, args.cluster, args.plot);
        const open = tracker.find(pane => pane.id === id);
        if (open) {
          app.shell.activateById(id);
          return open;
        }
        const pane = new DashboardPane({
          ...args,
          url: client.dashboardUrl(args.site, args.cluster, args.plot),
          model,
          trans
        });
        const mode = raw['mode'];
        const placement = placeNewPane(
          pane,
          tracker,
          typeof mode === 'string' ? mode : undefined
        );
        await tracker.add(pane);
        app.shell.add(pane, 'main', placement);
        app.shell.activateById(pane.id);
        return pane;
      }
    });

    const external = new WidgetTracker<ExternalDashboardPane>({
      namespace: 'dask-sites-external-dashboards'
    });
    app.commands.addCommand(CommandIDs.openDashboardUrl, {
      label: trans.__('Open Dask Dashboard URL'),
      caption: trans.__(
        "Open any Dask dashboard address in a pane (e.g. a LocalCluster's)"
      ),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            url: {
              type: 'string',
              description: 'http(s) address, or a path on this server'
            }
          },
          required: ['url']
        }
      },
      execute: async args => {
        const checked = checkDashboardUrl(String(args['url'] ?? ''), trans);
        if ('error' in checked) {
          throw new Error(checked.error);
        }
        const open = external.find(
          pane => pane.id === externalPaneId(checked.url)
        );
        if (open) {
          app.shell.activateById(open.id);
          return open;
        }
        const pane = new ExternalDashboardPane({ url: checked.url, trans });
        await external.add(pane);
        // Beside the current cluster pane, to compare the two.
        const ref = tracker.currentWidget;
        app.shell.add(
          pane,
          'main',
          ref?.isAttached ? { ref: ref.id, mode: 'split-right' } : {}
        );
        app.shell.activateById(pane.id);
        return pane;
      }
    });

    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openDashboard,
        args: pane => ({ ...pane.restoreArgs }),
        name: pane => pane.id
      });
      void restorer.restore(external, {
        command: CommandIDs.openDashboardUrl,
        args: pane => ({ url: pane.url }),
        name: pane => pane.id
      });
    }
  }
};
