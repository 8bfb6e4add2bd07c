/**
 * msgpackr settings of the live WebSocket, shared by the sidecar (encoder)
 * and the browser (decoder) so both ends always agree.
 */
import type { Options } from 'msgpackr';

import type { LiveMessage } from './sidecar-api';
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
 * Apply a snapshot or diff to the sites as known; returns a new array. The
 * sidecar's tests and the browser's live connection both use this one.
 */
export function applyLiveMessage(
  current: readonly ISiteState[],
  message: LiveMessage
): ISiteState[] {
  if (message.type === 'snapshot') {
    return [...message.sites];
  }
  const changed = new Map(message.sites.map(site => [site.name, site]));
  const out = current.map(site => changed.get(site.name) ?? site);
  for (const site of message.sites) {
    if (!current.some(s => s.name === site.name)) {
      out.push(site);
    }
  }
  return out;
}
