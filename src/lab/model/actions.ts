/**
 * The actions users take on sites and clusters, as the panel shows them:
 * one pending flag per action, and one error (or notice: it worked, but not
 * quite as asked) per site or cluster that stays on its card until it is
 * dismissed or the next action there starts. A failing site never marks
 * another.
 */
import type { ErrorCode, IScaleLimit } from '../../protocol';
import { SidecarError } from '../api/errors';

/** What a user can do to a site or a cluster (one pending flag and one error each). */
export type SiteAction =
  | 'refresh'
  | 'login'
  | 'logout'
  | 'options'
  | 'create'
  | 'rename'
  | 'scale'
  | 'adapt'
  | 'stop'
  | 'choose';

/** A failed action, for the card of its site (or the row of its cluster). */
export interface IActionError {
  action: SiteAction;
  /** The sidecar's message: names the cause and, where known, the fix. */
  message: string;
  /** HTTP status; 0 when the server did not answer. */
  status: number;
  code?: ErrorCode;
  /** Logging in again is the fix. */
  needsLogin: boolean;
}

/** An action that worked, but not as asked: the site capped the workers. */
export interface IActionNotice {
  action: 'scale' | 'adapt';
  /** What the user asked for ("10000", "2–10000"). */
  requested: string;
  limit: IScaleLimit;
}

/** Pending flags and errors of every site's and cluster's actions. */
export class ActionTracker {
  isPending(site: string, action: SiteAction, cluster?: string): boolean {
    return this._pending.has(Private.pendingKey(site, cluster, action));
  }

  /** Any action in flight on this site (cluster `undefined`) or cluster. */
  isBusy(site: string, cluster?: string): boolean {
    const prefix = Private.key(site, cluster) + '\u0000';
    for (const key of this._pending) {
      if (key.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  error(site: string, cluster?: string): IActionError | undefined {
    return this._errors.get(Private.key(site, cluster));
  }

  /** What the last action here did differently from the request (e.g. a site's cap on workers). */
  notice(site: string, cluster?: string): IActionNotice | undefined {
    return this._notices.get(Private.key(site, cluster));
  }

  /** Say how the action that just ended differed from the request. */
  setNotice(
    site: string,
    cluster: string | undefined,
    notice: IActionNotice
  ): void {
    this._notices.set(Private.key(site, cluster), notice);
  }

  /** Forget the error and notice; true if there was one. */
  dismiss(site: string, cluster?: string): boolean {
    const key = Private.key(site, cluster);
    const notice = this._notices.delete(key);
    return this._errors.delete(key) || notice;
  }

  /**
   * Run one action: pending while it runs, its error kept on its card (the
   * previous one cleared), the others untouched. `changed` is called when
   * the flags or errors change.
   */
  async run<T>(
    target: { site: string; cluster?: string; action: SiteAction },
    work: () => Promise<T>,
    apply: (result: T) => void,
    changed: () => void
  ): Promise<T | undefined> {
    const { site, cluster, action } = target;
    const key = Private.key(site, cluster);
    const pending = Private.pendingKey(site, cluster, action);
    this._pending.add(pending);
    this._errors.delete(key);
    this._notices.delete(key);
    changed();
    try {
      const result = await work();
      apply(result);
      return result;
    } catch (err) {
      this._errors.set(key, toActionError(action, err));
      return undefined;
    } finally {
      this._pending.delete(pending);
      changed();
    }
  }

  private readonly _pending = new Set<string>();
  private readonly _errors = new Map<string, IActionError>();
  private readonly _notices = new Map<string, IActionNotice>();
}

/** Any failure as the error a card shows: the sidecar's message, status and code. */
export function toActionError(action: SiteAction, err: unknown): IActionError {
  if (err instanceof SidecarError) {
    return {
      action,
      message: err.message,
      status: err.status,
      ...(err.code ? { code: err.code } : {}),
      needsLogin: err.needsLogin
    };
  }
  return {
    action,
    message: err instanceof Error ? err.message : String(err),
    status: 0,
    needsLogin: false
  };
}

namespace Private {
  export function key(site: string, cluster: string | undefined): string {
    return cluster === undefined ? site : `${site}\u0001${cluster}`;
  }

  export function pendingKey(
    site: string,
    cluster: string | undefined,
    action: SiteAction
  ): string {
    return `${key(site, cluster)}\u0000${action}`;
  }
}
