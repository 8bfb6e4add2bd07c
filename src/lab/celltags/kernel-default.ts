/**
 * Puts the notebook's default site (notebook metadata `dask-sites.site`)
 * into effect in its kernel. JupyterLab sends only the cell's metadata with
 * an execute_request, so just before a cell runs, if the notebook's default
 * differs from what this kernel last got from us, a silent
 * `%site --from-notebook NAME` (or `... --off`: no output, no widget) goes ahead of the cell on the same shell channel. The
 * kernel handles requests in order, so the cell runs with the new default;
 * nothing is added to the saved notebook. A kernel that never got a default
 * from us keeps whatever `%site` the user ran.
 */
import type { Kernel } from '@jupyterlab/services';

/** Site names we pass to `%site` (the registry's names are identifiers). */
const SITE_NAME = /^[A-Za-z0-9_.-]+$/;

/** The code that sets (or clears) a kernel's default site. */
export function defaultSiteCode(site: string | null): string | null {
  if (site === null) {
    return '%site --from-notebook --off';
  }
  return SITE_NAME.test(site) ? `%site --from-notebook ${site}` : null;
}

export interface IKernelLike {
  readonly statusChanged: Kernel.IKernelConnection['statusChanged'];
  requestExecute: (content: {
    code: string;
    silent?: boolean;
    store_history?: boolean;
    stop_on_error?: boolean;
  }) => unknown;
}

export class KernelDefaults {
  /**
   * Call just before a cell of a notebook whose default site is `site` runs
   * on `kernel`. Returns the code sent, if any.
   */
  beforeExecute(kernel: IKernelLike, site: string | null): string | null {
    const last = this._sent.get(kernel);
    if (last === site || (last === undefined && site === null)) {
      return null;
    }
    const code = defaultSiteCode(site);
    if (code === null) {
      return null;
    }
    this.forgetOnRestart(kernel);
    kernel.requestExecute({
      code,
      silent: true,
      store_history: false,
      stop_on_error: false
    });
    this._sent.set(kernel, site);
    return code;
  }

  /** The kernel says it has `site` (the user ran `%site` there): nothing to send. */
  received(kernel: IKernelLike, site: string | null): void {
    this.forgetOnRestart(kernel);
    this._sent.set(kernel, site);
  }

  /** What `kernel` last got from us (`undefined`: nothing yet). */
  sentTo(kernel: IKernelLike): string | null | undefined {
    return this._sent.get(kernel);
  }

  /** A restarted kernel has no default: it gets the notebook's again before its next cell. */
  private forgetOnRestart(kernel: IKernelLike): void {
    if (this._watched.has(kernel)) {
      return;
    }
    this._watched.add(kernel);
    kernel.statusChanged.connect((_, status) => {
      if (
        status === 'restarting' ||
        status === 'autorestarting' ||
        status === 'dead'
      ) {
        this._sent.delete(kernel);
      }
    });
  }

  private readonly _sent = new WeakMap<IKernelLike, string | null>();
  private readonly _watched = new WeakSet<IKernelLike>();
}
