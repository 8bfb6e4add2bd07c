/**
 * msgpackr settings of the live WebSocket, shared by the sidecar (encoder)
 * and the browser (decoder) so both ends always agree.
 */
import type { Options } from 'msgpackr';

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
