/**
 * The `dask-sites` metadata key, on cells (`{"site": NAME}`: run this cell's
 * Dask work at NAME) and on the notebook (`{"site": NAME}`: the default of
 * untagged cells). The kernel reads the cell's key from every
 * execute_request; see `kernel-default.ts` for the notebook's.
 */

/** Metadata key on cells and notebooks. */
export const METADATA_KEY = 'dask-sites';

/** What a cell or notebook model offers (the JupyterLab 4 metadata API). */
export interface IMetadataHolder {
  getMetadata(key: string): unknown;
  setMetadata(key: string, value: any): void;
  deleteMetadata(key: string): unknown;
}

/** The site named by a `dask-sites` metadata value; `null` if none or malformed. */
export function siteOf(value: unknown): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return null;
  }
  const site = (value as { site?: unknown }).site;
  return typeof site === 'string' && site.trim() ? site.trim() : null;
}

/** The site a cell or notebook is tagged with, or `null`. */
export function getSite(
  holder: IMetadataHolder | null | undefined
): string | null {
  return holder ? siteOf(holder.getMetadata(METADATA_KEY)) : null;
}

/**
 * Tag with `site` (`null` or `""`: remove the tag). Other fields under the
 * key are kept; the key goes away when nothing is left. Returns whether the
 * metadata changed.
 */
export function setSite(holder: IMetadataHolder, site: string | null): boolean {
  const name = site?.trim() || null;
  const current = holder.getMetadata(METADATA_KEY);
  const entry =
    current && typeof current === 'object' && !Array.isArray(current)
      ? { ...(current as { [key: string]: unknown }) }
      : {};
  if (siteOf(current) === name && (name !== null || current === undefined)) {
    return false;
  }
  if (name) {
    entry.site = name;
  } else {
    delete entry.site;
  }
  if (Object.keys(entry).length) {
    holder.setMetadata(METADATA_KEY, entry);
  } else {
    holder.deleteMetadata(METADATA_KEY);
  }
  return true;
}
