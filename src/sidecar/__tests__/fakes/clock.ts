/**
 * A clock the tests drive: time moves only with `advance()`, which fires
 * the sleeps that fall due in order and lets the code run between them.
 */
import type { IClock } from '../../auth';

/** Where every fake clock starts. */
export const START = Date.UTC(2026, 0, 1);

/** Flush promise chains and setImmediate callbacks. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise(resolve => setImmediate(resolve));
  }
}

export class FakeClock implements IClock {
  t = START;
  #timers: { at: number; resolve: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise(resolve => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const timer = { at: this.t + Math.max(0, ms), resolve };
      this.#timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.#timers = this.#timers.filter(t => t !== timer);
          resolve();
        },
        { once: true }
      );
    });
  }

  /** Move time forward, firing timers in order (and letting code run). */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      const due = this.#timers
        .filter(t => t.at <= target)
        .sort((a, b) => a.at - b.at)[0];
      if (!due) {
        break;
      }
      this.#timers = this.#timers.filter(t => t !== due);
      this.t = Math.max(this.t, due.at);
      due.resolve();
    }
    this.t = target;
    await flush();
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }
}
