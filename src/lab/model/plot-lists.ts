/**
 * The plots each running cluster's dashboard offers, as its scheduler lists
 * them (`individual-plots.json`, read and checked by the sidecar). Loaded
 * when a cluster's dashboard list is first opened, kept per cluster.
 */
import type { IDashboardPlot } from '../../protocol';
import type { SidecarClient } from '../api/client';
import { toActionError, type IActionError } from './actions';

export type PlotListState =
  | { status: 'loading' }
  | { status: 'ready'; plots: IDashboardPlot[] }
  | { status: 'error'; error: IActionError };

export class PlotLists {
  constructor(
    private readonly client: Pick<SidecarClient, 'dashboardPlots'>,
    /** Called when a list starts loading, arrives or fails. */
    private readonly changed: () => void
  ) {}

  state(site: string, cluster: string): PlotListState | undefined {
    return this._lists.get(Private.key(site, cluster));
  }

  /** Load a cluster's list once (again with `force`, or after a failure). */
  async load(site: string, cluster: string, force = false): Promise<void> {
    const key = Private.key(site, cluster);
    const known = this._lists.get(key);
    if (known && known.status !== 'error' && !force) {
      return;
    }
    this._lists.set(key, { status: 'loading' });
    this.changed();
    try {
      const plots = await this.client.dashboardPlots(site, cluster);
      this._lists.set(key, { status: 'ready', plots });
    } catch (err) {
      this._lists.set(key, {
        status: 'error',
        error: toActionError('refresh', err)
      });
    }
    this.changed();
  }

  private readonly _lists = new Map<string, PlotListState>();
}

namespace Private {
  export function key(site: string, cluster: string): string {
    return `${site}\u0001${cluster}`;
  }
}
