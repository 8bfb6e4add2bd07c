/**
 * The plots a cluster's dashboard offers, from its scheduler's
 * `individual-plots.json` (`{"Individual Task Stream":
 * "/individual-task-stream", ...}`). The answer comes from a scheduler the
 * user does not control (a cluster image), so it is read as untrusted: only
 * plain relative paths, short names without markup characters, at most
 * `MAX_PLOTS` entries.
 */
import type { IDashboardPlot } from '../../protocol';

/** More than any scheduler offers (distributed 2026.x has ~40). */
export const MAX_PLOTS = 200;
const MAX_NAME = 100;
const MAX_PATH = 200;
/** Segments start with a letter or digit: no `.`, `..` or empty segments. */
const PLOT_PATH = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** The plots of an `individual-plots.json` answer, sorted by name; bad entries are left out. */
export function parsePlotList(body: unknown): IDashboardPlot[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return [];
  }
  const plots: IDashboardPlot[] = [];
  const seen = new Set<string>();
  for (const [rawName, rawPath] of Object.entries(body)) {
    if (plots.length >= MAX_PLOTS) {
      break;
    }
    if (typeof rawPath !== 'string') {
      continue;
    }
    const path = rawPath.replace(/^\/+/, '');
    const name = plotName(rawName);
    if (
      !name ||
      path.length > MAX_PATH ||
      !PLOT_PATH.test(path) ||
      seen.has(path)
    ) {
      continue;
    }
    seen.add(path);
    plots.push({ name, path });
  }
  return plots.sort((a, b) => a.name.localeCompare(b.name));
}

/** "Individual Task Stream" → "Task Stream"; control and markup characters dropped. */
function plotName(raw: string): string {
  const name = [...raw]
    .filter(c => c >= ' ' && c !== '\u007f' && !'<>&"\'`'.includes(c))
    .join('')
    .replace(/^Individual\s+/i, '')
    .replace(/\s+/g, ' ')
    .trim();
  return name.length > MAX_NAME ? '' : name;
}
