/**
 * One site's card: label and colour, reachability and gateway version (or
 * why it is down), login, its clusters and "new cluster". Everything that
 * goes wrong at this site is shown here and nowhere else.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { addIcon, Button } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import type { ISiteState } from '../../protocol';
import { whyNoClusters } from '../model/availability';
import type { SitesModel } from '../model/sites-model';
import { ClusterRow } from './cluster-row';
import { ErrorNote } from './error-note';
import { formatClock } from './format';
import { LoginSection } from './login-section';
import { NewClusterForm } from './new-cluster-form';

export interface ISiteCardProps {
  model: SitesModel;
  site: ISiteState;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

export function SiteCard(props: ISiteCardProps): JSX.Element {
  const { model, site, commands, trans } = props;
  const [creating, setCreating] = React.useState(false);
  const blocked = whyNoClusters(site, trans);
  const error = model.error(site.name);
  const headingId = `jp-DaskSites-site-${site.name}${React.useId()}`;
  const style = site.colour
    ? ({ '--jp-DaskSites-site-colour': site.colour } as React.CSSProperties)
    : undefined;
  const showClusters =
    site.login.status === 'logged-in' ||
    site.login.status === 'not-required' ||
    site.clusters.length > 0;

  return (
    <section
      className="jp-DaskSites-card"
      data-site={site.name}
      data-reachability={site.reachability.status}
      aria-labelledby={headingId}
      style={style}
    >
      <header className="jp-DaskSites-cardHeader">
        <span className="jp-DaskSites-swatch" aria-hidden="true" />
        <h3 id={headingId} className="jp-DaskSites-siteLabel">
          {site.label}
        </h3>
      </header>
      <div className="jp-DaskSites-meta">
        <code
          className="jp-DaskSites-slug"
          title={trans.__(
            'Tag cells with this name to run them at %1',
            site.label
          )}
        >
          {site.name}
        </code>
        <Reachability site={site} trans={trans} />
      </div>
      {site.reachability.status === 'down' && (
        <p className="jp-DaskSites-down" role="status">
          {trans.__(
            'Unreachable: %1',
            site.reachability.error ?? trans.__('no answer')
          )}
        </p>
      )}
      <LoginSection model={model} site={site} trans={trans} />
      {error && (
        <ErrorNote
          error={error}
          trans={trans}
          onDismiss={() => model.dismissError(site.name)}
          onLogin={() => void model.login(site.name)}
        />
      )}
      {site.error && site.reachability.status !== 'down' && (
        <p className="jp-DaskSites-down" role="status">
          {trans.__('Cluster list: %1', site.error)}
        </p>
      )}
      {site.clustersAsOf !== undefined && site.clusters.length > 0 && (
        <p className="jp-DaskSites-asOf" role="status">
          {trans.__(
            'As last seen at %1: these clusters may still be running. Log in to see and manage them.',
            formatClock(site.clustersAsOf)
          )}
        </p>
      )}
      {showClusters && (
        <ul
          className="jp-DaskSites-clusters"
          aria-label={trans.__('Clusters at %1', site.label)}
        >
          {site.clusters.map(cluster => (
            <ClusterRow
              key={cluster.name}
              model={model}
              site={site}
              cluster={cluster}
              commands={commands}
              trans={trans}
            />
          ))}
          {!site.clusters.length && (
            <li className="jp-DaskSites-empty">
              {trans.__('No clusters running.')}
            </li>
          )}
        </ul>
      )}
      {creating ? (
        <NewClusterForm
          model={model}
          site={site}
          trans={trans}
          onDone={() => setCreating(false)}
        />
      ) : (
        <Button
          small
          className="jp-DaskSites-newCluster"
          disabled={blocked !== undefined}
          title={blocked ?? trans.__('Start a new cluster at %1', site.label)}
          onClick={() => setCreating(true)}
        >
          <addIcon.react tag="span" className="jp-DaskSites-buttonIcon" />
          {trans.__('New cluster')}
        </Button>
      )}
    </section>
  );
}

function Reachability(props: {
  site: ISiteState;
  trans: TranslationBundle;
}): JSX.Element {
  const { site, trans } = props;
  const r = site.reachability;
  const text =
    r.status === 'up'
      ? r.version
        ? trans.__('gateway %1', r.version)
        : trans.__('up')
      : r.status === 'down'
        ? trans.__('down')
        : trans.__('checking…');
  const title =
    r.status === 'up'
      ? trans.__('The Dask Gateway of %1 answers', site.label)
      : r.status === 'down'
        ? (r.error ?? trans.__('The gateway does not answer'))
        : trans.__('Not checked yet');
  return (
    <span className="jp-DaskSites-reach" data-status={r.status} title={title}>
      <span className="jp-DaskSites-dot" aria-hidden="true" />
      {text}
    </span>
  );
}
