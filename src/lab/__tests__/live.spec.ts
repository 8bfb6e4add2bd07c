import { Unpackr } from 'msgpackr';

import { liveMsgpackOptions } from '../../protocol';
import { LiveEncoder } from '../../sidecar/live/encoding';
import { LiveConnection, type LiveStatus } from '../api/live';
import { cluster, FakeWebSocket, site } from './support/fakes';

describe('LiveConnection', () => {
  let live: LiveConnection;
  let statuses: LiveStatus[];

  beforeEach(() => {
    jest.useFakeTimers();
    FakeWebSocket.reset();
    live = new LiveConnection({
      url: () => 'ws://localhost/dask-sites/api/live',
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
      minDelayMs: 1_000,
      maxDelayMs: 8_000,
      random: () => 1 // no jitter: delays are exactly the backoff
    });
    statuses = [];
    live.statusChanged.connect((_, s) => statuses.push(s));
  });

  afterEach(() => {
    live.dispose();
    jest.useRealTimers();
  });

  it('opens nothing until started', () => {
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(live.status).toBe('stopped');
  });

  it('decodes the sidecar encoder’s snapshot and diffs (msgpack stream)', () => {
    const encoder = new LiveEncoder(); // what the sidecar uses
    const central = site();
    const lumi = site({ name: 'lumi', label: 'LUMI', loginKey: 'issuer-a' });
    const messages: string[] = [];
    live.received.connect((_, m) => messages.push(m.type));

    live.start();
    const ws = FakeWebSocket.last;
    expect(ws.url).toBe('ws://localhost/dask-sites/api/live');
    ws.open();
    ws.receive(encoder.next([central, lumi])!);
    expect(live.sites.map(s => s.name)).toEqual(['central', 'lumi']);

    const running = { ...lumi, clusters: [cluster()] };
    ws.receive(encoder.next([central, running])!);
    expect(messages).toEqual(['snapshot', 'diff']);
    expect(live.sites[1].clusters[0].live?.workers).toBe(2);
    expect(live.sites[0]).toEqual(central);
  });

  it('sends watch as msgpack once open, and again when the sites change', () => {
    live.watch(['central']);
    live.start();
    const ws = FakeWebSocket.last;
    expect(ws.sent).toHaveLength(0);
    ws.open();
    live.watch(['central']); // unchanged: not sent again
    live.watch(['central', 'lumi']);
    // Decoded as the sidecar does (main.ts).
    const decoded = ws.sent.map(bytes =>
      new Unpackr(liveMsgpackOptions()).unpack(bytes)
    );
    expect(decoded).toEqual([
      { type: 'watch', sites: ['central'] },
      { type: 'watch', sites: ['central', 'lumi'] }
    ]);
  });

  it('reconnects with growing delays and resets them after a message', () => {
    live.start();
    FakeWebSocket.last.serverClose(1006);
    expect(live.status).toBe('waiting');
    expect(live.lastError).toMatch(/lost/);
    jest.advanceTimersByTime(999);
    expect(FakeWebSocket.instances).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2);

    FakeWebSocket.last.serverClose(1011, 'sidecar restarting');
    expect(live.lastError).toBe('sidecar restarting');
    jest.advanceTimersByTime(1_999);
    expect(FakeWebSocket.instances).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(3);

    // A fresh connection decodes with a fresh decoder and a fresh encoder.
    const ws = FakeWebSocket.last;
    ws.open();
    ws.receive(new LiveEncoder().next([site()])!);
    expect(live.status).toBe('open');
    ws.serverClose(1006);
    jest.advanceTimersByTime(1_000);
    expect(FakeWebSocket.instances).toHaveLength(4);
  });

  it('gives up on a socket that never opens, and tries again', () => {
    live.start();
    const stuck = FakeWebSocket.last;
    jest.advanceTimersByTime(9_999);
    expect(live.status).toBe('connecting');
    jest.advanceTimersByTime(1);
    expect(live.status).toBe('waiting');
    expect(live.lastError).toBe('the live connection did not open within 10 s');
    expect(stuck.closedByClient).toBeDefined();
    jest.advanceTimersByTime(1_000);
    expect(FakeWebSocket.instances).toHaveLength(2);
    // One that opens in time stays open.
    FakeWebSocket.last.open();
    jest.advanceTimersByTime(60_000);
    expect(live.status).toBe('open');
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('caps the delay at maxDelayMs', () => {
    live.start();
    for (let i = 0; i < 6; i++) {
      FakeWebSocket.last.serverClose(1006);
      jest.advanceTimersByTime(8_000);
    }
    FakeWebSocket.last.serverClose(1006);
    expect(live.retryAt! - Date.now()).toBe(8_000);
  });

  it('stop() closes the socket and cancels the reconnect: nothing runs while hidden', () => {
    live.watch(['central']);
    live.start();
    const ws = FakeWebSocket.last;
    ws.open();
    live.stop();
    expect(ws.closedByClient).toBeDefined();
    expect(live.status).toBe('stopped');
    jest.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);

    live.start();
    FakeWebSocket.last.serverClose(1006);
    live.stop();
    jest.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(jest.getTimerCount()).toBe(0);
    expect(statuses).toEqual([
      'connecting',
      'open',
      'stopped',
      'connecting',
      'waiting',
      'stopped'
    ]);
  });

  it('drops a stream that skipped a message and reconnects', () => {
    const encoder = new LiveEncoder();
    live.start();
    const ws = FakeWebSocket.last;
    ws.open();
    ws.receive(encoder.next([site()])!);
    encoder.next([site({ label: 'lost' })]); // never delivered
    ws.receive(encoder.next([site({ label: 'third' })])!);
    expect(ws.closedByClient).toBeDefined();
    expect(live.status).toBe('waiting');
    // The lost message may also have defined a record structure the next
    // one uses: then decoding fails first. Either way the stream restarts.
    expect(live.lastError).toMatch(/3 came after 1|could not be decoded/);
  });

  it('reconnect() opens a new socket at once', () => {
    live.start();
    FakeWebSocket.last.serverClose(1006);
    live.reconnect();
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(live.status).toBe('connecting');
  });
});
