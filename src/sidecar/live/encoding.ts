/**
 * Encoding of the live WebSocket's `LiveMessage`s with msgpackr records
 * (object shapes as key lists plus values: about half the bytes of JSON).
 * Two ways, measured by `benchmarks/live_encoding.mjs`:
 *
 * - `createLiveCodec()`: stateless. Every message carries the record
 *   structures it uses, so one encoding can be broadcast to every connection
 *   and any `Unpackr(liveMsgpackOptions())` decodes it. Fits a socket that
 *   encodes a diff once and sends it to all tabs.
 * - `LiveEncoder` / `LiveDecoder`: one pair per connection, msgpackr's
 *   `sequential` mode: a structure is sent once per connection and later
 *   messages refer to it by id (about 10 % fewer bytes than the stateless
 *   codec for diffs). The stream is stateful: the decoder must see every
 *   message of its connection in order (WebSocket guarantees that) and a new
 *   connection needs a new decoder. The encoder also works out the diffs
 *   itself (which sites changed since it last sent).
 *
 * In both, the first message of a connection is a snapshot. A diff holds
 * only what changed: per site its own fields (if any changed), the clusters
 * that changed or came (whole), the names of those gone; a site goes whole
 * only when it is new or its clusters changed order.
 */
import { Packr, Unpackr } from 'msgpackr';

import {
  applyLiveMessage,
  liveMsgpackOptions,
  liveStreamMsgpackOptions,
  type ISitePatch,
  type ISiteState,
  type LiveMessage
} from '../../protocol';

export { applyLiveMessage, liveMsgpackOptions, liveStreamMsgpackOptions };

/** Encode and decode one message at a time, without state between messages. */
export interface ILiveCodec {
  encode(message: LiveMessage): Uint8Array;
  decode(data: Uint8Array): unknown;
}

/** The stateless codec: safe to encode once and send to many connections. */
export function createLiveCodec(): ILiveCodec {
  const packr = new Packr(liveMsgpackOptions());
  const unpackr = new Unpackr(liveMsgpackOptions());
  return {
    encode: message => packr.pack(message),
    decode: data => unpackr.unpack(data)
  };
}

export type LiveEncoding = 'diff' | 'snapshot';

export interface ILiveEncoderOptions {
  /** `diff` (default) sends only changed sites; `snapshot` always sends all. */
  mode?: LiveEncoding;
  /** In diff mode, send a full snapshot every this many messages anyway (0 = never, the default). */
  snapshotEvery?: number;
  /**
   * Per-connection stream (`liveStreamMsgpackOptions()`, the default) or
   * self-contained messages (`liveMsgpackOptions()`). The decoder must match.
   */
  stream?: boolean;
}

/** A site as last sent to a peer, to work out what changed. */
interface ISentSite {
  /** JSON of the site's own fields (all but `clusters`). */
  fields: string;
  /** Cluster name → its JSON, in the order sent. */
  clusters: Map<string, string>;
}

/** One per connection: works out snapshots and diffs and encodes them. */
export class LiveEncoder {
  private readonly packr: Packr;
  private readonly mode: LiveEncoding;
  private readonly snapshotEvery: number;
  private seq = 0;
  private sinceSnapshot = 0;
  /** Each site as last sent; `undefined` before the first message. */
  private sent: Map<string, ISentSite> | undefined;

  constructor(options: ILiveEncoderOptions = {}) {
    this.packr = new Packr(
      options.stream === false
        ? liveMsgpackOptions()
        : liveStreamMsgpackOptions()
    );
    this.mode = options.mode ?? 'diff';
    this.snapshotEvery = options.snapshotEvery ?? 0;
  }

  /** Number of the last message encoded (0 before the first). */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * The message that brings the peer to `sites`: a snapshot first, then
   * diffs; `undefined` when nothing changed since the last message.
   */
  next(sites: readonly ISiteState[]): Uint8Array | undefined {
    const message = this.nextMessage(sites);
    return message && this.packr.pack(message);
  }

  /** Like `next()`, without the encoding (for tests and the benchmark). */
  nextMessage(sites: readonly ISiteState[]): LiveMessage | undefined {
    const now = new Map(sites.map(site => [site.name, sentForm(site)]));
    const previous = this.sent;
    const needSnapshot =
      this.mode === 'snapshot' ||
      previous === undefined ||
      [...previous.keys()].some(name => !now.has(name)) ||
      (this.snapshotEvery > 0 && this.sinceSnapshot >= this.snapshotEvery);
    this.sent = now;
    if (needSnapshot) {
      this.sinceSnapshot = 1;
      return { type: 'snapshot', seq: ++this.seq, sites: [...sites] };
    }
    const whole: ISiteState[] = [];
    const patches: ISitePatch[] = [];
    for (const site of sites) {
      const before = previous.get(site.name);
      const patch = before && sitePatch(site, before, now.get(site.name)!);
      if (patch === undefined) {
        whole.push(site); // new, or its clusters changed order
      } else if (patch) {
        patches.push(patch);
      }
    }
    if (!whole.length && !patches.length) {
      return undefined;
    }
    this.sinceSnapshot += 1;
    return {
      type: 'diff',
      seq: ++this.seq,
      sites: whole,
      ...(patches.length ? { patches } : {})
    };
  }

  /** A full snapshot now, whatever was sent before. */
  snapshot(sites: readonly ISiteState[]): Uint8Array {
    this.sent = undefined;
    return this.next(sites) as Uint8Array;
  }
}

/** A site's own fields: all but its clusters. */
function ownFields({ clusters, ...fields }: ISiteState): ISitePatch['fields'] {
  return fields;
}

function sentForm(site: ISiteState): ISentSite {
  return {
    fields: JSON.stringify(ownFields(site)),
    clusters: new Map(site.clusters.map(c => [c.name, JSON.stringify(c)]))
  };
}

/**
 * What changed in `site` since `before`: a patch, `null` for nothing, or
 * `undefined` when it must go whole (the peer could not rebuild the order
 * of its clusters from a patch: kept ones in their old order, new ones last).
 */
function sitePatch(
  site: ISiteState,
  before: ISentSite,
  now: ISentSite
): ISitePatch | null | undefined {
  const kept = [...before.clusters.keys()].filter(name =>
    now.clusters.has(name)
  );
  const added = [...now.clusters.keys()].filter(
    name => !before.clusters.has(name)
  );
  const rebuilt = [...kept, ...added];
  if ([...now.clusters.keys()].some((name, i) => rebuilt[i] !== name)) {
    return undefined;
  }
  const patch: ISitePatch = { name: site.name };
  if (before.fields !== now.fields) {
    patch.fields = ownFields(site);
  }
  const changed = site.clusters.filter(
    c => before.clusters.get(c.name) !== now.clusters.get(c.name)
  );
  if (changed.length) {
    patch.clusters = changed;
  }
  const removed = [...before.clusters.keys()].filter(
    name => !now.clusters.has(name)
  );
  if (removed.length) {
    patch.removed = removed;
  }
  return patch.fields || patch.clusters || patch.removed ? patch : null;
}

/** The browser's side, here for tests and as the reference the Lab code follows. */
export class LiveDecoder {
  private readonly unpackr: Unpackr;
  private sites: ISiteState[] = [];
  private seq = 0;

  /** `stream` must match the encoder's (default true). */
  constructor(options: { stream?: boolean } = {}) {
    this.unpackr = new Unpackr(
      options.stream === false
        ? liveMsgpackOptions()
        : liveStreamMsgpackOptions()
    );
  }

  /** Decode one message of the connection and return the sites as they now are. */
  decode(bytes: Uint8Array): { message: LiveMessage; sites: ISiteState[] } {
    const message = this.unpackr.unpack(bytes) as LiveMessage;
    if (message.seq !== this.seq + 1) {
      throw new Error(
        `live message ${message.seq} after ${this.seq}: the stream lost a message; reconnect`
      );
    }
    this.seq = message.seq;
    this.sites = applyLiveMessage(this.sites, message);
    return { message, sites: this.sites };
  }
}
