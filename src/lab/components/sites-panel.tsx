/**
 * The "Dask Sites" panel: a header with the live connection's state and a
 * refresh button, then one card per site.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, refreshIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import type { SitesModel } from '../model/sites-model';
import { ErrorNote } from './error-note';
import { FirstSteps } from './first-steps';
import { formatDuration } from './format';
import { useNow, useSignal } from './hooks';
import { OtherDashboard } from './other-dashboard';
import { SiteCard } from './site-card';

export interface ISitesPanelProps {
  model: SitesModel;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

export function SitesPanel(props: ISitesPanelProps): JSX.Element {
  const { model, commands, trans } = props;
  useSignal(model.changed);
  const sites = model.sites;

  return (
    <div className="jp-DaskSites-panel">
      <header className="jp-DaskSites-header">
        <h2 className="jp-DaskSites-title">{trans.__('Dask Sites')}</h2>
        <LiveState model={model} trans={trans} />
        <Button
          small
          minimal
          aria-label={trans.__('Refresh all sites')}
          title={trans.__('Refresh all sites')}
          onClick={() => model.reconnect()}
        >
          <refreshIcon.react tag="span" />
        </Button>
      </header>
      <div className="jp-DaskSites-body">
        {model.loadError && <ErrorNote error={model.loadError} trans={trans} />}
        {model.loading && (
          <p className="jp-DaskSites-placeholder" role="status">
            {trans.__('Loading sites…')}
          </p>
        )}
        {!model.loading && !model.loadError && !sites.length && (
          <p className="jp-DaskSites-placeholder">
            {trans.__(
              'No sites are configured. Point the server at a site registry: c.DaskSites.registry = "/path/to/registry.json".'
            )}
          </p>
        )}
        {!model.loading && <FirstSteps sites={sites} trans={trans} />}
        {sites.map(site => (
          <SiteCard
            key={site.name}
            model={model}
            site={site}
            commands={commands}
            trans={trans}
          />
        ))}
        {!model.loading && <OtherDashboard commands={commands} trans={trans} />}
      </div>
    </div>
  );
}

function LiveState(props: {
  model: SitesModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const live = model.live;
  const now = useNow(live.status === 'waiting' ? 1_000 : null);
  let text: string;
  let title: string;
  switch (live.status) {
    case 'open':
      text = trans.__('live');
      title = trans.__('Updates arrive as they happen');
      break;
    case 'connecting':
      text = trans.__('connecting…');
      title = trans.__('Connecting to the Dask Sites server');
      break;
    case 'waiting':
      text = trans.__('offline');
      title = trans.__(
        'Live updates stopped (%1); retrying in %2. Click refresh to retry now.',
        live.error ?? trans.__('connection closed'),
        formatDuration(Math.max(0, (live.retryAt ?? now) - now), trans)
      );
      break;
    default:
      text = trans.__('paused');
      title = trans.__('Live updates pause while the panel is hidden');
  }
  return (
    <span
      className="jp-DaskSites-live"
      data-status={live.status}
      title={title}
      role="status"
    >
      <span className="jp-DaskSites-dot" aria-hidden="true" />
      {text}
    </span>
  );
}
