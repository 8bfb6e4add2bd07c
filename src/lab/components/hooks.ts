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

/** The current time, updated every `intervalMs` (not at all when `null`). */
export function useNow(intervalMs: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (intervalMs === null) {
      return;
    }
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
