/**
 * A cluster's dashboard plots, each opening a pane (another cluster's pane
 * opens beside the current one). Shown under a running cluster.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { launchIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs, type IOpenDashboardArgs } from '../commands';
import { dashboardPlots } from '../dashboards/plots';

export interface IDashboardLinksProps {
  site: string;
  cluster: string;
  commands: CommandRegistry;
  trans: TranslationBundle;
  /** Why the dashboards cannot open (cluster not running), if so. */
  disabledReason?: string;
}

export function DashboardLinks(props: IDashboardLinksProps): JSX.Element {
  const { site, cluster, commands, trans, disabledReason } = props;
  const open = (plot: string) => {
    const args: IOpenDashboardArgs = { site, cluster, plot };
    void commands.execute(CommandIDs.openDashboard, { ...args });
  };
  return (
    <details className="jp-DaskSites-dashboards">
      <summary
        title={
          disabledReason ??
          trans.__('Dashboard plots; each opens in a JupyterLab pane')
        }
      >
        <launchIcon.react tag="span" className="jp-DaskSites-buttonIcon" />
        {trans.__('Dashboards')}
      </summary>
      <ul
        className="jp-DaskSites-plotList"
        aria-label={trans.__('Dashboard plots')}
      >
        {dashboardPlots(trans).map(plot => (
          <li key={plot.path}>
            <button
              type="button"
              className="jp-DaskSites-plot"
              disabled={disabledReason !== undefined}
              title={
                disabledReason ?? trans.__('Open "%1" in a pane', plot.label)
              }
              onClick={() => open(plot.path)}
            >
              {plot.label}
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}
