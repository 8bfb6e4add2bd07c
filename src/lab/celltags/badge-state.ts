/**
 * What a code cell's badge says: its site tag and, after a run, where the
 * work actually ran and the bytes brought back. Untagged cells get no badge
 * unless their record shows they were routed away from this machine.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { formatBytes } from '../components/format';
import { type ICellRecord, formatRecord, formatSeconds } from './record';

export interface IBadge {
  /** `tagged`: the cell names a site; `auto`: routed without a tag. */
  kind: 'tagged' | 'auto';
  /** The site whose colour the badge takes. */
  site: string;
  text: string;
  /** Longer explanation (tooltip and accessible description). */
  title: string;
}

export interface IBadgeInput {
  /** The cell's own site tag. */
  site: string | null;
  /** The record in the cell's outputs, from its last run. */
  record: ICellRecord | null;
}

/** The badge of a cell, or `null` for none. */
export function badgeFor(
  input: IBadgeInput,
  trans: TranslationBundle
): IBadge | null {
  const { site } = input;
  // A record of a run under another tag says nothing about the current one.
  const record =
    input.record && (!site || input.record.route === site)
      ? input.record
      : null;
  const remote = record?.runs.filter(run => run.site !== 'local') ?? [];
  const figures = record
    ? `${formatSeconds(record.seconds)} · ${trans.__('%1 back', formatBytes(record.bytesBack))}`
    : '';

  if (site) {
    if (!record) {
      return {
        kind: 'tagged',
        site,
        text: site,
        title: trans.__("This cell's Dask work runs at %1.", site)
      };
    }
    const elsewhere = record.runs.some(run => run.site !== site);
    const where = record.runs.length
      ? record.runs.map(run => run.site).join(', ')
      : '';
    return {
      kind: 'tagged',
      site,
      text: !record.runs.length
        ? trans.__('%1 · no Dask work', site)
        : elsewhere
          ? trans.__('%1 · ran at %2 · %3', site, where, figures)
          : `${site} · ${figures}`,
      title: trans.__(
        'Tagged %1; last run: %2.',
        site,
        formatRecord(record, trans)
      )
    };
  }

  if (!record || !remote.length) {
    return null;
  }
  const target = record.route ?? remote[0].site;
  // `%%site NAME` is a tag in the code, not automatic routing.
  const why =
    record.source === 'cell magic'
      ? '%%site'
      : record.source === 'notebook default'
        ? trans.__('default')
        : trans.__('auto');
  return {
    kind: 'auto',
    site: target,
    text: `${why} → ${remote.map(run => run.site).join(', ')}`,
    title: trans.__(
      'Not tagged; routed by %1. Last run: %2.',
      record.source,
      formatRecord(record, trans)
    )
  };
}
