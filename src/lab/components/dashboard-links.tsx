/**
 * A cluster's dashboards: the full dashboard in a browser tab, and every
 * plot its scheduler offers (searchable), each opening a pane (another
 * cluster's pane opens beside the current one). Shown under a cluster.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { launchIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs, type IOpenDashboardArgs } from '../commands';
import { dashboardPlots, offeredPlots } from '../dashboards/plots';
import type { SitesModel } from '../model/sites-model';

export interface IDashboardLinksProps {
  model: SitesModel;
  site: string;
  cluster: string;
  commands: CommandRegistry;
  trans: TranslationBundle;
  /** Why the dashboards cannot open (cluster not running), if so. */
  disabledReason?: string;
}

export function DashboardLinks(props: IDashboardLinksProps): JSX.Element {
  const { model, site, cluster, commands, trans, disabledReason } = props;
  const [query, setQuery] = React.useState('');
  const disabled = disabledReason !== undefined;
  const list = model.plots.state(site, cluster);
  const open = (plot: string) => {
    const args: IOpenDashboardArgs = { site, cluster, plot };
    void commands.execute(CommandIDs.openDashboard, { ...args });
  };
  const onToggle = (e: React.SyntheticEvent<HTMLDetailsElement>) => {
    if (e.currentTarget.open && !disabled) {
      void model.plots.load(site, cluster);
    }
  };
  // The scheduler's own list once it came; the usual plots meanwhile.
  const plots =
    list?.status === 'ready'
      ? offeredPlots(list.plots, trans)
      : dashboardPlots(trans);
  const words = query.trim().toLowerCase();
  const shown = words
    ? plots.filter(
        p =>
          p.label.toLowerCase().includes(words) ||
          p.path.toLowerCase().includes(words)
      )
    : plots;

  return (
    <details className="jp-DaskSites-dashboards" onToggle={onToggle}>
      <summary
        title={
          disabledReason ??
          trans.__('Dashboard plots; each opens in a JupyterLab pane')
        }
      >
        <launchIcon.react tag="span" className="jp-DaskSites-buttonIcon" />
        {trans.__('Dashboards')}
      </summary>
      <div className="jp-DaskSites-row jp-DaskSites-dashboardTools">
        {disabled ? (
          <span className="jp-DaskSites-muted" title={disabledReason}>
            {trans.__('Full dashboard')}
          </span>
        ) : (
          <a
            className="jp-DaskSites-fullDashboard"
            href={model.client.dashboardUrl(site, cluster, 'status')}
            target="_blank"
            rel="noopener noreferrer"
            title={trans.__('Open the whole dashboard in a new browser tab')}
          >
            {trans.__('Full dashboard ↗')}
          </a>
        )}
        <input
          type="search"
          className="jp-mod-styled jp-DaskSites-plotSearch"
          placeholder={trans.__('Search plots')}
          aria-label={trans.__('Search plots')}
          value={query}
          onChange={e => setQuery(e.target.value)}
        />
      </div>
      {list?.status === 'loading' && (
        <p className="jp-DaskSites-muted" role="status">
          {trans.__("Reading the scheduler's list of plots…")}
        </p>
      )}
      {list?.status === 'error' && (
        <p className="jp-DaskSites-muted" role="status">
          {trans.__(
            "The scheduler's list of plots could not be read (%1); these are the usual ones.",
            list.error.message
          )}
        </p>
      )}
      <ul
        className="jp-DaskSites-plotList"
        aria-label={trans.__('Dashboard plots')}
      >
        {shown.map(plot => (
          <li key={plot.path}>
            <button
              type="button"
              className="jp-DaskSites-plot"
              disabled={disabled}
              title={
                disabledReason ?? trans.__('Open "%1" in a pane', plot.label)
              }
              onClick={() => open(plot.path)}
            >
              {plot.label}
            </button>
          </li>
        ))}
        {!shown.length && (
          <li className="jp-DaskSites-muted">
            {trans.__('No plot matches "%1".', query.trim())}
          </li>
        )}
      </ul>
    </details>
  );
}
