/**
 * Time, injectable: the sessions read the time and wait only through an
 * `IClock`, so tests drive device polling, expiry and refresh with a fake.
 */

export interface IClock {
  /** ms since the epoch. */
  now(): number;
  /**
   * Resolve after `ms` milliseconds, or as soon as `signal` aborts (it
   * resolves then too, never rejects: check `signal.aborted` after).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. Its timers do not keep the process alive. */
export const systemClock: IClock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise(resolve => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      timer.unref?.();
      signal?.addEventListener('abort', done, { once: true });
    });
  }
};
