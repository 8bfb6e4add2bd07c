/**
 * One cluster under its site: name (renamable), status, figures, age, and
 * its actions (scale, adapt, dashboard, use for kernels, stop).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, stopIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { isUp, type IClusterInfo, type ISiteState } from '../../protocol';
import { whyNoClusters, whyNotRunning } from '../model/availability';
import type { SitesModel } from '../model/sites-model';
import { ClusterName } from './cluster-name';
import { DashboardLinks } from './dashboard-links';
import { ErrorNote } from './error-note';
import { formatBytes, formatClock, formatDuration } from './format';
import { useNow } from './hooks';
import { ScalingControls } from './scaling-controls';
import { VersionChip } from './version-chip';

export interface IClusterRowProps {
  model: SitesModel;
  site: ISiteState;
  cluster: IClusterInfo;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

export function ClusterRow(props: IClusterRowProps): JSX.Element {
  const { model, site, cluster, commands, trans } = props;
  // Every second: the age shows seconds for its first minute.
  const now = useNow(1_000);
  const pending = (action: Parameters<SitesModel['isPending']>[1]) =>
    model.isPending(site.name, action, cluster.name);
  const siteBlocked = whyNoClusters(site, trans);
  const notRunning = whyNotRunning(cluster, trans);
  const blocked = siteBlocked ?? notRunning;
  const stopping = cluster.status === 'STOPPING' || pending('stop');
  const ended = cluster.status === 'STOPPED' || cluster.status === 'FAILED';
  const chosen = site.chosenCluster === cluster.name;
  // Logged out: the list is as last seen; these clusters may still run.
  const lastSeen = site.clustersAsOf !== undefined;
  const error = model.error(site.name, cluster.name);

  const stop = async () => {
    if (model.settings.confirmStop) {
      const result = await showDialog({
        title: trans.__('Stop cluster %1?', cluster.displayName),
        body: trans.__(
          'The cluster at %1 stops with all its workers; data held in their memory is lost.',
          site.label
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Keep it') }),
          Dialog.warnButton({ label: trans.__('Stop') })
        ]
      });
      if (!result.button.accept) {
        return;
      }
    }
    await model.stopCluster(site.name, cluster.name);
  };

  return (
    <li
      className="jp-DaskSites-cluster"
      data-status={cluster.status}
      aria-label={trans.__('Cluster %1', cluster.displayName)}
    >
      <div className="jp-DaskSites-clusterHead">
        <ClusterName
          name={cluster.displayName}
          id={cluster.name}
          trans={trans}
          busy={pending('rename') || siteBlocked !== undefined}
          onRename={name =>
            void model.renameCluster(site.name, cluster.name, name)
          }
        />
        <span
          className="jp-DaskSites-status"
          data-status={cluster.status}
          data-last-seen={lastSeen || undefined}
          title={
            lastSeen
              ? trans.__(
                  'Status when last seen; log in to %1 to see and manage it',
                  site.label
                )
              : trans.__('Status reported by the gateway')
          }
        >
          {lastSeen && isUp(cluster.status)
            ? trans.__(
                '%1 — log in to manage',
                statusText(cluster.status, trans)
              )
            : statusText(cluster.status, trans)}
        </span>
        {cluster.unreachable && cluster.status === 'RUNNING' && (
          <span
            className="jp-DaskSites-chip jp-DaskSites-unreachable"
            role="status"
            title={trans.__(
              'Its scheduler does not answer (%1): it has probably stopped. Kernels are not given this cluster; stop it and start a new one.',
              cluster.unreachable.reason
            )}
          >
            {trans.__('not answering')}
          </span>
        )}
        {cluster.forKernels && (
          <span
            className="jp-DaskSites-chip jp-DaskSites-forKernels"
            title={
              cluster.forKernels.stopsAt !== undefined
                ? trans.__(
                    'Made for kernels, which have all ended: it stops at %1 (c.DaskSites.kernel_clusters). Choose it for kernels to keep it.',
                    formatClock(cluster.forKernels.stopsAt)
                  )
                : trans.__(
                    'Made for kernels (%1 using it now): it stops once they have all ended (c.DaskSites.kernel_clusters). Choose it for kernels to keep it.',
                    cluster.forKernels.kernels
                  )
            }
          >
            {cluster.forKernels.stopsAt !== undefined
              ? trans.__(
                  'for kernels · stops %1',
                  formatClock(cluster.forKernels.stopsAt)
                )
              : trans.__('for kernels')}
          </span>
        )}
        {cluster.versionMismatches?.length ? (
          <VersionChip mismatches={cluster.versionMismatches} trans={trans} />
        ) : null}
        {chosen && (
          <span
            className="jp-DaskSites-chip"
            title={trans.__(
              'Kernels use this cluster for cells tagged %1',
              site.name
            )}
          >
            {trans.__('kernels')}
          </span>
        )}
      </div>
      <Figures
        cluster={cluster}
        now={now}
        trans={trans}
        asOf={site.clustersAsOf}
      />
      {cluster.status === 'RUNNING' && !lastSeen && (
        <ScalingControls
          cluster={cluster}
          trans={trans}
          disabledReason={blocked}
          scaling={pending('scale')}
          adapting={pending('adapt')}
          notice={model.notice(site.name, cluster.name)}
          onDismissNotice={() => model.dismissError(site.name, cluster.name)}
          onScale={count => void model.scale(site.name, cluster.name, count)}
          onAdapt={(lo, hi) =>
            void model.adapt(site.name, cluster.name, lo, hi)
          }
        />
      )}
      <div className="jp-DaskSites-row jp-DaskSites-actions">
        <Button
          small
          disabled={blocked !== undefined || pending('choose')}
          aria-pressed={chosen}
          title={
            blocked ??
            (chosen
              ? trans.__(
                  'Kernels use this cluster at %1; click to clear the choice',
                  site.label
                )
              : trans.__('Run cells tagged %1 on this cluster', site.name))
          }
          onClick={() =>
            void model.chooseCluster(site.name, chosen ? null : cluster.name)
          }
        >
          {chosen ? trans.__('Used by kernels') : trans.__('Use for kernels')}
        </Button>
        <Button
          small
          className="jp-DaskSites-danger"
          disabled={siteBlocked !== undefined || stopping || ended}
          title={
            siteBlocked ??
            (ended
              ? trans.__('The cluster has already ended (%1)', cluster.status)
              : stopping
                ? trans.__('Stopping…')
                : trans.__('Stop this cluster'))
          }
          onClick={() => void stop()}
        >
          <stopIcon.react tag="span" className="jp-DaskSites-buttonIcon" />
          {stopping ? trans.__('Stopping…') : trans.__('Stop')}
        </Button>
      </div>
      <DashboardLinks
        model={model}
        site={site.name}
        cluster={cluster.name}
        commands={commands}
        trans={trans}
        disabledReason={siteBlocked ?? notRunning}
      />
      {error && (
        <ErrorNote
          error={error}
          trans={trans}
          onDismiss={() => model.dismissError(site.name, cluster.name)}
          onLogin={() => void model.login(site.name)}
        />
      )}
    </li>
  );
}

function Figures(props: {
  cluster: IClusterInfo;
  now: number;
  trans: TranslationBundle;
  /** The site's list is as last seen (logged out): no figures come. */
  asOf?: number;
}): JSX.Element {
  const { cluster, now, trans } = props;
  const live = cluster.live;
  const waiting =
    !live && cluster.status === 'RUNNING' && props.asOf === undefined;
  // [term, value, wide]: memory takes two columns of the grid.
  const items: [string, string, boolean][] = [];
  if (live) {
    items.push([trans.__('Workers'), String(live.workers), false]);
    items.push([trans.__('Threads'), String(live.threads), false]);
    items.push([trans.__('Tasks'), String(live.tasksProcessing), false]);
    items.push([
      trans.__('Memory'),
      live.memoryLimit
        ? `${formatBytes(live.memory)} / ${formatBytes(live.memoryLimit)}`
        : formatBytes(live.memory),
      true
    ]);
  }
  if (cluster.startTime) {
    items.push([
      trans.__('Age'),
      formatDuration(now - cluster.startTime, trans),
      false
    ]);
  }
  if (cluster.adaptive) {
    items.push([
      trans.__('Adaptive'),
      `${cluster.adaptive.minimum}–${cluster.adaptive.maximum}`,
      false
    ]);
  }
  if (!items.length && !waiting) {
    return <></>;
  }
  return (
    <dl className="jp-DaskSites-figures" aria-busy={waiting}>
      {waiting && (
        <div className="jp-DaskSites-figure jp-mod-wide" role="status">
          <dt>{trans.__('Workers')}</dt>
          <dd className="jp-DaskSites-muted">{trans.__('waiting…')}</dd>
        </div>
      )}
      {items.map(([term, value, wide]) => (
        <div
          key={term}
          className={`jp-DaskSites-figure${wide ? ' jp-mod-wide' : ''}`}
        >
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function statusText(
  status: IClusterInfo['status'],
  trans: TranslationBundle
): string {
  switch (status) {
    case 'PENDING':
      return trans.__('starting');
    case 'RUNNING':
      return trans.__('running');
    case 'STOPPING':
      return trans.__('stopping');
    case 'STOPPED':
      return trans.__('stopped');
    case 'FAILED':
      return trans.__('failed');
  }
}
