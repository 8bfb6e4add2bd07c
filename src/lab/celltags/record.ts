/**
 * The kernel's record of a routed cell (`jupyter_ext_server/kernel/record.py`):
 * one display output of mimetype `application/vnd.dask-sites.record+json`.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { formatBytes } from '../components/format';

export const RECORD_MIMETYPE = 'application/vnd.dask-sites.record+json';

export interface ISiteRun {
  /** A site name, or `local` for the kernel's own machine. */
  site: string;
  seconds: number;
  bytesBack: number;
  computations: number;
}

/** One transfer of a split computation: a site or `here` (this kernel) on each end. */
export interface IHop {
  from: string;
  to: string;
  bytes: number;
}

export interface ICellRecord {
  /** The site the cell was routed to (`null`: automatic or local). */
  route: string | null;
  /** Why: "cell magic", "cell metadata", "notebook default", "data location", "local". */
  source: string;
  /** Remote sites that ran work. */
  sites: string[];
  runs: ISiteRun[];
  bytesBack: number;
  seconds: number;
  /** What crossed between the sites and the kernel, in order. */
  hops: IHop[];
  /** The site that ran the part mixing sites (`null`: this kernel, or no split). */
  mixedAt: string | null;
}

const num = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;

/** Parse a record; `null` when `data` is not one. */
export function parseRecord(data: unknown): ICellRecord | null {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return null;
  }
  const raw = data as { [key: string]: unknown };
  if (!Array.isArray(raw.runs) || typeof raw.source !== 'string') {
    return null;
  }
  const runs: ISiteRun[] = [];
  for (const item of raw.runs) {
    if (!item || typeof item !== 'object') {
      continue;
    }
    const run = item as { [key: string]: unknown };
    if (typeof run.site !== 'string' || !run.site) {
      continue;
    }
    runs.push({
      site: run.site,
      seconds: num(run.seconds),
      bytesBack: num(run.bytes_back ?? run.bytesBack),
      computations: Math.max(1, Math.round(num(run.computations)) || 1)
    });
  }
  const remote = runs.filter(run => run.site !== 'local');
  const sites = Array.isArray(raw.sites)
    ? raw.sites.filter((s): s is string => typeof s === 'string' && !!s)
    : remote.map(run => run.site);
  return {
    route: typeof raw.route === 'string' && raw.route ? raw.route : null,
    source: raw.source,
    sites,
    runs,
    bytesBack:
      typeof raw.bytesBack === 'number'
        ? num(raw.bytesBack)
        : remote.reduce((sum, run) => sum + run.bytesBack, 0),
    seconds:
      typeof raw.seconds === 'number'
        ? num(raw.seconds)
        : runs.reduce((sum, run) => sum + run.seconds, 0),
    hops: Private.hops(raw.hops),
    mixedAt: typeof raw.mixedAt === 'string' && raw.mixedAt ? raw.mixedAt : null
  };
}

/** The outputs of a cell as plain data (`IOutputModel.data` of each). */
export interface IOutputsLike {
  readonly length: number;
  get(index: number): { data: { [mime: string]: unknown } };
}

/** The last record among a cell's outputs, or `null`. */
export function findRecord(
  outputs: IOutputsLike | null | undefined
): ICellRecord | null {
  if (!outputs) {
    return null;
  }
  for (let i = outputs.length - 1; i >= 0; i--) {
    const data = outputs.get(i).data;
    if (data && RECORD_MIMETYPE in data) {
      const record = parseRecord(data[RECORD_MIMETYPE]);
      if (record) {
        return record;
      }
    }
  }
  return null;
}

/** Seconds as the record line shows them: "0.8 s", "12 s", "2 min 5 s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 0.05) {
    return '<0.1 s';
  }
  if (seconds < 10) {
    return `${seconds.toFixed(1)} s`;
  }
  if (seconds < 60) {
    return `${Math.round(seconds)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** One run: "lumi · 0.8 s · 1.2 kB back". */
export function formatRun(run: ISiteRun, trans: TranslationBundle): string {
  return trans.__(
    '%1 · %2 · %3 back',
    run.site === 'local' ? trans.__('this machine') : run.site,
    formatSeconds(run.seconds),
    formatBytes(run.bytesBack)
  );
}

/** The record's line under the cell: "ran at lumi · 0.8 s · 1.2 kB back". */
export function formatRecord(
  record: ICellRecord,
  trans: TranslationBundle
): string {
  if (!record.runs.length) {
    return trans.__('no Dask work ran');
  }
  const ran = trans.__(
    'ran at %1',
    record.runs.map(run => formatRun(run, trans)).join('; ')
  );
  return record.mixedAt
    ? trans.__(
        '%1; mixed at %2 (%3)',
        ran,
        record.mixedAt,
        record.hops.map(hop => formatHop(hop, trans)).join(', ')
      )
    : ran;
}

/** One hop: "lumi → this kernel 4 B". */
export function formatHop(hop: IHop, trans: TranslationBundle): string {
  const end = (name: string) =>
    name === 'here' ? trans.__('this kernel') : name;
  return `${end(hop.from)} → ${end(hop.to)} ${formatBytes(hop.bytes)}`;
}

namespace Private {
  export function hops(value: unknown): IHop[] {
    if (!Array.isArray(value)) {
      return [];
    }
    const hops: IHop[] = [];
    for (const item of value) {
      const hop = (item ?? {}) as { [key: string]: unknown };
      if (typeof hop.from === 'string' && typeof hop.to === 'string') {
        hops.push({ from: hop.from, to: hop.to, bytes: num(hop.bytes) });
      }
    }
    return hops;
  }
}
