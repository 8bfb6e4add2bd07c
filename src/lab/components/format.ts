/** Numbers and times as the panel shows them. */
import type { TranslationBundle } from '@jupyterlab/translation';

/**
 * Decimal units everywhere Dask Sites shows bytes: the panel, the cell
 * records and the kernel's plans (`format_bytes` in
 * jupyter_ext_server/kernel/planner.py prints the same digits).
 */
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** `1536` → `1.54 kB`. */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** A duration in words: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatDuration(ms: number, trans: TranslationBundle): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) {
    return trans.__('%1 s', s);
  }
  const min = Math.floor(s / 60);
  if (min < 60) {
    return trans.__('%1 min', min);
  }
  const h = Math.floor(min / 60);
  if (h < 24) {
    return min % 60
      ? trans.__('%1 h %2 min', h, min % 60)
      : trans.__('%1 h', h);
  }
  const d = Math.floor(h / 24);
  return h % 24 ? trans.__('%1 d %2 h', d, h % 24) : trans.__('%1 d', d);
}

/** A countdown as `m:ss`. */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A time of day in the user's locale (`14:05`). */
export function formatClock(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit'
  });
}
