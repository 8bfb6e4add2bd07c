import { Packr, Unpackr } from 'msgpackr';

import type { IClusterInfo, ISiteState, LiveMessage } from '../../protocol';
import {
  applyLiveMessage,
  createLiveCodec,
  LiveDecoder,
  LiveEncoder,
  liveMsgpackOptions,
  liveStreamMsgpackOptions
} from '../live/encoding';

function site(name: string, clusters: IClusterInfo[] = []): ISiteState {
  return {
    name,
    label: name.toUpperCase(),
    loginKey: 'https://login.example',
    login: { status: 'logged-in', user: 'alice', accessExpiresAt: 1 },
    reachability: { status: 'up', version: '2026.3.0', checkedAt: 1 },
    clusters
  };
}

function cluster(name: string, workers: number): IClusterInfo {
  return {
    name,
    displayName: name.slice(0, 8),
    status: 'RUNNING',
    dashboardRoute: `/clusters/${name}/status`,
    startTime: 1,
    options: { worker_cores: 1, worker_memory: 1.5 },
    live: {
      workers,
      threads: workers,
      memory: workers * 2 ** 30,
      memoryLimit: 4 * 2 ** 30,
      tasksProcessing: 0,
      updatedAt: 1795314227853
    }
  };
}

describe('msgpackr in this test environment', () => {
  it('imports and round-trips (CommonJS build under ts-jest)', () => {
    const packr = new Packr(liveMsgpackOptions());
    const value = { a: 1, b: [true, null, 'x'], c: { d: 1.5 } };
    expect(new Unpackr(liveMsgpackOptions()).unpack(packr.pack(value))).toEqual(
      value
    );
  });
});

describe('LiveEncoder and LiveDecoder', () => {
  it('sends a snapshot first, then only the sites that changed', () => {
    const encoder = new LiveEncoder();
    const decoder = new LiveDecoder();
    const central = site('central', [cluster('a'.repeat(32), 1)]);
    const lumi = site('lumi', [cluster('b'.repeat(32), 2)]);

    let out = decoder.decode(encoder.next([central, lumi]) as Uint8Array);
    expect(out.message.type).toBe('snapshot');
    expect(out.sites).toEqual([central, lumi]);

    expect(encoder.next([central, lumi])).toBeUndefined();

    // Only the cluster whose figures changed travels.
    const lumi2 = site('lumi', [cluster('b'.repeat(32), 3)]);
    out = decoder.decode(encoder.next([central, lumi2]) as Uint8Array);
    expect(out.message).toEqual({
      type: 'diff',
      seq: 2,
      sites: [],
      patches: [{ name: 'lumi', clusters: lumi2.clusters }]
    });
    expect(out.sites).toEqual([central, lumi2]);

    // A site that disappears needs a snapshot.
    out = decoder.decode(encoder.next([lumi2]) as Uint8Array);
    expect(out.message.type).toBe('snapshot');
    expect(out.sites).toEqual([lumi2]);
    expect(encoder.lastSeq).toBe(3);
  });

  it('patches a site field by field: its own fields, clusters come, change and go', () => {
    const encoder = new LiveEncoder();
    const decoder = new LiveDecoder();
    const [a, b, c] = ['a', 'b', 'c'].map(x => cluster(x.repeat(32), 1));
    const steps: ISiteState[][] = [
      [site('central', [a, b])],
      [{ ...site('central', [a, b]), label: 'Central (Warsaw)' }], // a field
      [{ ...site('central', [a, b, c]), label: 'Central (Warsaw)' }], // c comes
      [{ ...site('central', [b, c]), label: 'Central (Warsaw)' }], // a goes
      [site('central', [b, cluster('c'.repeat(32), 4)])] // c changes, label back
    ];
    const kinds = steps.map(sites => {
      const { message, sites: decoded } = decoder.decode(
        encoder.next(sites) as Uint8Array
      );
      expect(decoded).toEqual(sites);
      return message.type === 'diff'
        ? [message.sites.length, JSON.stringify(message.patches)]
        : 'snapshot';
    });
    expect(kinds[0]).toBe('snapshot');
    expect(kinds[1]).toEqual([0, expect.stringContaining('"fields"')]);
    expect(kinds[2][1]).toContain(`"name":"${'c'.repeat(32)}"`);
    expect(kinds[2][1]).not.toContain(`"name":"${'a'.repeat(32)}"`);
    expect(kinds[3][1]).toContain(`"removed":["${'a'.repeat(32)}"]`);
    expect(kinds[4][1]).toContain('"fields"');
  });

  it('sends a site whole when it is new or its clusters changed order', () => {
    const encoder = new LiveEncoder();
    const decoder = new LiveDecoder();
    const [a, b] = ['a', 'b'].map(x => cluster(x.repeat(32), 1));
    decoder.decode(encoder.next([site('central', [a, b])]) as Uint8Array);
    const reordered = [site('central', [b, a])];
    let out = decoder.decode(encoder.next(reordered) as Uint8Array);
    expect(out.message).toEqual({ type: 'diff', seq: 2, sites: reordered });
    expect(out.sites).toEqual(reordered);
    const more = [...reordered, site('lumi', [])];
    out = decoder.decode(encoder.next(more) as Uint8Array);
    expect(out.message).toEqual({ type: 'diff', seq: 3, sites: [more[1]] });
    expect(out.sites).toEqual(more);
  });

  it('leaves a peer that knows only whole sites as it was, not broken', () => {
    const encoder = new LiveEncoder({ stream: false });
    const before = [site('central', [cluster('a'.repeat(32), 1)])];
    const after = [site('central', [cluster('a'.repeat(32), 2)])];
    encoder.next(before);
    const diff = new Unpackr(liveMsgpackOptions()).unpack(
      encoder.next(after) as Uint8Array
    ) as LiveMessage;
    // What an older browser did with a diff: replace the sites it names.
    const olderPeer = ({
      patches,
      ...rest
    }: LiveMessage & { patches?: unknown }) => rest;
    expect(applyLiveMessage(before, olderPeer(diff) as LiveMessage)).toEqual(
      before
    );
    expect(applyLiveMessage(before, diff)).toEqual(after);
  });

  it('keeps optional fields out and values exact', () => {
    const encoder = new LiveEncoder();
    const decoder = new LiveDecoder();
    const s = site('central', [cluster('c'.repeat(32), 1)]);
    s.error = 'central: the gateway at http://x is unreachable (ECONNREFUSED)';
    s.login = {
      status: 'login-needed',
      reason: 'the refresh token was refused'
    };
    const { sites } = decoder.decode(encoder.next([s]) as Uint8Array);
    expect(sites).toEqual([s]);
    expect(Object.keys(sites[0].clusters[0])).not.toContain('adaptive');
  });

  it('can always send snapshots, or a snapshot every n messages', () => {
    const always = new LiveEncoder({ mode: 'snapshot' });
    const some = new LiveEncoder({ snapshotEvery: 2 });
    const types = (encoder: LiveEncoder) =>
      [1, 2, 3, 4].map(
        n =>
          encoder.nextMessage([site('central', [cluster('d'.repeat(32), n)])])
            ?.type
      );
    expect(types(always)).toEqual([
      'snapshot',
      'snapshot',
      'snapshot',
      'snapshot'
    ]);
    expect(types(some)).toEqual(['snapshot', 'diff', 'snapshot', 'diff']);
  });

  it('sends record structures once per connection', () => {
    const encoder = new LiveEncoder();
    const sites = (n: number) => [
      site('central', [cluster('e'.repeat(32), n)])
    ];
    const first = encoder.next(sites(1)) as Uint8Array;
    const second = encoder.next(sites(2)) as Uint8Array;
    expect(second.length).toBeLessThan(first.length * 0.7);
    // A decoder that missed the first message cannot read the second.
    expect(() =>
      new Unpackr(liveStreamMsgpackOptions()).unpack(second)
    ).toThrow();
    // A decoder of the same connection can.
    const decoder = new LiveDecoder();
    decoder.decode(first);
    expect(decoder.decode(second).sites).toEqual(sites(2));
  });

  it('stays decodable over a long connection with many object shapes', () => {
    const encoder = new LiveEncoder();
    const decoder = new LiveDecoder();
    for (let n = 0; n < 300; n++) {
      const c = cluster(n.toString(16).padStart(32, '0'), n % 7);
      // a new key set every message: options differ per cluster
      c.options = { [`opt_${n}`]: n, worker_cores: 1 };
      const sites = [site('central', [c]), site('lumi')];
      const bytes = encoder.next(sites);
      expect(decoder.decode(bytes as Uint8Array).sites).toEqual(sites);
    }
  });

  it('refuses a stream with a gap', () => {
    const encoder = new LiveEncoder({ mode: 'snapshot' });
    const decoder = new LiveDecoder();
    decoder.decode(encoder.next([site('a')]) as Uint8Array);
    encoder.next([site('a')]);
    expect(() =>
      decoder.decode(encoder.next([site('a')]) as Uint8Array)
    ).toThrow('lost a message');
  });

  it('gives every encoder its own options object', () => {
    const options = liveStreamMsgpackOptions();
    new Packr(options).pack({ a: 1 });
    expect(liveStreamMsgpackOptions()).toEqual({
      useRecords: true,
      sequential: true,
      mapsAsObjects: true,
      moreTypes: false
    });
  });

  it('can encode self-contained messages', () => {
    const encoder = new LiveEncoder({ stream: false });
    const decoder = new LiveDecoder({ stream: false });
    for (let n = 1; n < 4; n++) {
      const sites = [site('central', [cluster('f'.repeat(32), n)])];
      const bytes = encoder.next(sites) as Uint8Array;
      expect(decoder.decode(bytes).sites).toEqual(sites);
      // Each message decodes on its own (no state between them).
      const alone = new Unpackr(liveMsgpackOptions()).unpack(bytes);
      expect(alone.seq).toBe(n);
      expect(alone.type).toBe(n === 1 ? 'snapshot' : 'diff');
    }
  });
});

describe('createLiveCodec', () => {
  it('encodes each message on its own, so one encoding serves every connection', () => {
    const codec = createLiveCodec();
    const messages: LiveMessage[] = [1, 2, 3].map(n => ({
      type: n === 1 ? 'snapshot' : 'diff',
      seq: n,
      sites: [site('central', [cluster('a'.repeat(32), n)]), site('lumi')]
    }));
    const encoded = messages.map(m => codec.encode(m));
    // A tab that connected late decodes the third message alone.
    expect(new Unpackr(liveMsgpackOptions()).unpack(encoded[2])).toEqual(
      messages[2]
    );
    expect(codec.decode(encoded[1])).toEqual(messages[1]);
    // Records: well under the JSON size.
    expect(encoded[2].length).toBeLessThan(
      JSON.stringify(messages[2]).length * 0.75
    );
  });
});

describe('applyLiveMessage', () => {
  it('replaces changed sites in place and appends new ones', () => {
    const a = site('a');
    const b = site('b');
    const b2 = { ...site('b'), label: 'B2' };
    const c = site('c');
    const diff: LiveMessage = { type: 'diff', seq: 2, sites: [b2, c] };
    expect(applyLiveMessage([a, b], diff)).toEqual([a, b2, c]);
    expect(
      applyLiveMessage([a, b], { type: 'snapshot', seq: 3, sites: [c] })
    ).toEqual([c]);
  });
});
