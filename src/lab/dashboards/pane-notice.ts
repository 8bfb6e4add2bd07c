/**
 * What a dashboard pane says instead of its page: the cluster is starting,
 * has ended or is gone, or came back after the pane had given up on it.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { PaneClusterState } from './cluster-state';

export interface IPaneNotice {
  kind: 'starting' | 'ended' | 'missing' | 'back';
  message: string;
}

/**
 * The notice for `state`; `null` when the page should show. `interrupted`:
 * the pane already told the user that its cluster ended (so a running
 * cluster is not reloaded silently; the user reloads it).
 */
export function paneNotice(
  state: PaneClusterState,
  names: { site: string; cluster: string; clusterName?: string },
  interrupted: boolean,
  trans: TranslationBundle
): IPaneNotice | null {
  const name = names.clusterName || names.cluster.slice(0, 8);
  switch (state.kind) {
    case 'unknown':
      return null;
    case 'running':
      return interrupted
        ? {
            kind: 'back',
            message: trans.__(
              'Cluster %1 at %2 is running again. Reload to show its dashboard.',
              state.cluster.displayName || name,
              names.site
            )
          }
        : null;
    case 'starting':
      return {
        kind: 'starting',
        message: trans.__(
          'Cluster %1 at %2 is starting; its dashboard appears once it runs.',
          state.cluster.displayName || name,
          names.site
        )
      };
    case 'ended':
      return {
        kind: 'ended',
        message:
          state.cluster.status === 'FAILED'
            ? trans.__(
                'Cluster %1 at %2 failed. Its dashboard ended with it.',
                state.cluster.displayName || name,
                names.site
              )
            : state.cluster.status === 'STOPPING'
              ? trans.__(
                  'Cluster %1 at %2 is stopping. Its dashboard ends with it.',
                  state.cluster.displayName || name,
                  names.site
                )
              : trans.__(
                  'Cluster %1 at %2 has stopped. Its dashboard ended with it.',
                  state.cluster.displayName || name,
                  names.site
                )
      };
    case 'missing':
      return {
        kind: 'missing',
        message: state.site
          ? trans.__(
              'The gateway at %1 no longer lists cluster %2: it has ended.',
              names.site,
              name
            )
          : trans.__(
              'Site %1 is no longer configured; cluster %2 cannot be reached.',
              names.site,
              name
            )
      };
  }
}
