/** React hooks of the panel. */
import type { ISignal } from '@lumino/signaling';
import { useEffect, useReducer, useState } from 'react';

/** Re-render whenever `signal` fires. */
export function useSignal(signal: ISignal<unknown, unknown>): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const listener = () => bump();
    signal.connect(listener);
    return () => {
      signal.disconnect(listener);
    };
  }, [signal]);
}

/**
 * The current time, updated every `intervalMs` (not at all when `null`).
 * Components asking for the same interval share one timer, so fifty
 * clusters' ages tick together and cost one timer.
 */
export function useNow(intervalMs: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (intervalMs === null) {
      return;
    }
    setNow(Date.now());
    return Private.subscribe(intervalMs, setNow);
  }, [intervalMs]);
  return now;
}

namespace Private {
  interface IClock {
    timer: ReturnType<typeof setInterval>;
    listeners: Set<(now: number) => void>;
  }
  const clocks = new Map<number, IClock>();

  /** Call `listener` every `intervalMs`; returns the unsubscribe. */
  export function subscribe(
    intervalMs: number,
    listener: (now: number) => void
  ): () => void {
    let clock = clocks.get(intervalMs);
    if (!clock) {
      const listeners = new Set<(now: number) => void>();
      const timer = setInterval(() => {
        const now = Date.now();
        listeners.forEach(notify => notify(now));
      }, intervalMs);
      clock = { timer, listeners };
      clocks.set(intervalMs, clock);
    }
    const own = clock;
    own.listeners.add(listener);
    return () => {
      own.listeners.delete(listener);
      if (!own.listeners.size) {
        clearInterval(own.timer);
        clocks.delete(intervalMs);
      }
    };
  }
}
