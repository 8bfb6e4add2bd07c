/**
 * msgpackr settings of the live WebSocket, shared by the sidecar (encoder)
 * and the browser (decoder) so both ends always agree.
 */
import type { Options } from 'msgpackr';

import type { ISitePatch, LiveMessage } from './sidecar-api';
import type { ISiteState } from './site-state';

/**
 * msgpackr options for self-contained messages (`createLiveCodec()`); the
 * browser decodes with `new Unpackr(liveMsgpackOptions())`. A new object
 * every call: msgpackr keeps state in the options object it is given, so two
 * packers or unpackers must never share one.
 */
export function liveMsgpackOptions(): Options {
  return {
    useRecords: true,
    // Plain objects on both ends; no Map, no structured clone extensions.
    mapsAsObjects: true,
    moreTypes: false
  };
}

/**
 * msgpackr options for a per-connection stream (`LiveEncoder` with
 * `stream: true`); the browser decodes with one
 * `new Unpackr(liveStreamMsgpackOptions())` per connection.
 */
export function liveStreamMsgpackOptions(): Options {
  return { ...liveMsgpackOptions(), sequential: true };
}

/**
 * Apply a snapshot or diff to the sites as known; returns a new array (sites
 * and cluster lists that did not change are the same objects). The
 * sidecar's tests and the browser's live connection both use this one.
 */
export function applyLiveMessage(
  current: readonly ISiteState[],
  message: LiveMessage
): ISiteState[] {
  if (message.type === 'snapshot') {
    return [...message.sites];
  }
  const whole = new Map(message.sites.map(site => [site.name, site]));
  const patches = new Map((message.patches ?? []).map(p => [p.name, p]));
  const out = current.map(site => {
    const replaced = whole.get(site.name);
    if (replaced) {
      return replaced;
    }
    const patch = patches.get(site.name);
    return patch ? applySitePatch(site, patch) : site;
  });
  for (const site of message.sites) {
    if (!current.some(s => s.name === site.name)) {
      out.push(site);
    }
  }
  return out;
}

/** One site with a patch applied (see `ISitePatch`). */
export function applySitePatch(
  site: ISiteState,
  patch: ISitePatch
): ISiteState {
  let clusters = site.clusters;
  if (patch.removed?.length) {
    const gone = new Set(patch.removed);
    clusters = clusters.filter(c => !gone.has(c.name));
  }
  if (patch.clusters?.length) {
    const changed = new Map(patch.clusters.map(c => [c.name, c]));
    clusters = clusters.map(c => changed.get(c.name) ?? c);
    const known = new Set(clusters.map(c => c.name));
    clusters = [...clusters, ...patch.clusters.filter(c => !known.has(c.name))];
  }
  const fields = patch.fields ?? site;
  return { ...fields, name: site.name, clusters } as ISiteState;
}
