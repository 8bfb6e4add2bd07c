/**
 * The kernel tells the Lab when its default site changes (`%site NAME`,
 * `%site --off` in a cell): it opens a comm of target `dask-sites.default`
 * with `{"site": NAME | null}`. The notebook's default (its metadata, which
 * the toolbar shows) follows, and the kernel is known to have it already,
 * so it is not sent back before the next cell.
 */
import type { Kernel } from '@jupyterlab/services';

import type { KernelDefaults } from './kernel-default';
import { siteOf } from './metadata';

export const DEFAULT_COMM_TARGET = 'dask-sites.default';

/** The site a `dask-sites.default` comm's data names (`null`: none), or `undefined` for malformed data. */
export function reportedDefault(data: unknown): string | null | undefined {
  if (!data || typeof data !== 'object' || !('site' in data)) {
    return undefined;
  }
  const site = (data as { site: unknown }).site;
  if (site === null) {
    return null;
  }
  return typeof site === 'string' ? (siteOf({ site }) ?? undefined) : undefined;
}

/**
 * Follow `kernel`'s reports: `apply(site)` sets the notebook's default.
 * Returns what undoes it (the kernel changed or the notebook closed).
 */
export function followKernelDefault(
  kernel: Kernel.IKernelConnection,
  defaults: KernelDefaults,
  apply: (site: string | null) => void
): () => void {
  const handler = (
    comm: Kernel.IComm,
    message: { content: { data: unknown } }
  ) => {
    const site = reportedDefault(message.content.data);
    if (site !== undefined) {
      defaults.received(kernel, site);
      apply(site);
    }
    comm.close();
  };
  kernel.registerCommTarget(DEFAULT_COMM_TARGET, handler);
  return () => {
    if (!kernel.isDisposed) {
      kernel.removeCommTarget(DEFAULT_COMM_TARGET, handler);
    }
  };
}
