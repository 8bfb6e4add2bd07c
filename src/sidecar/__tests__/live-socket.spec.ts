import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import WebSocket from 'ws';

import type { ISiteState } from '../../protocol';
import { LiveSocket } from '../http/live-socket';
import { CallerCheck } from '../http/secrets';
import { createHttpServer } from '../http/server';

const site = (name: string): ISiteState => ({
  name,
  label: name,
  loginKey: 'none',
  login: { status: 'not-required' },
  reachability: { status: 'up' },
  clusters: []
});

let server: Server;
let url: string;
const watched: string[][] = [];
let live: LiveSocket;

beforeAll(async () => {
  live = new LiveSocket({
    source: {
      siteStates: () => [site('central'), site('lumi')],
      onChange: () => () => undefined,
      subscription: () => ({
        set: sites => watched.push(sites),
        close: () => watched.push([])
      })
    },
    newEncoder: () => ({
      next: sites => Buffer.from(JSON.stringify(sites.map(s => s.name)))
    }),
    decode: () => undefined,
    allowedOrigins: []
  });
  server = createHttpServer({
    routes: [],
    callers: new CallerCheck('server-secret', ''),
    upgrades: [live.handleUpgrade],
    log: () => undefined
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/live`;
});

afterAll(async () => {
  live.close();
  await new Promise(resolve => server.close(resolve));
});

function connect(headers: {
  [name: string]: string;
}): Promise<{ ws: WebSocket; first: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('message', data => resolve({ ws, first: String(data) }));
    ws.once('error', reject);
  });
}

const closed = (ws: WebSocket): Promise<number> =>
  new Promise(resolve => ws.once('close', code => resolve(code)));

describe('live socket', () => {
  it('refuses connections without the server secret', async () => {
    await expect(connect({})).rejects.toThrow('401');
    await expect(connect({ Authorization: 'token nope' })).rejects.toThrow(
      '401'
    );
  });

  it('sends a snapshot, then follows watch requests', async () => {
    const { ws, first } = await connect({
      Authorization: 'token server-secret'
    });
    expect(JSON.parse(first)).toEqual(['central', 'lumi']);
    ws.send(JSON.stringify({ type: 'watch', sites: ['lumi'] }));
    const done = closed(ws);
    await new Promise(resolve => setTimeout(resolve, 100));
    ws.close();
    await done;
    expect(watched.slice(-2)).toEqual([['lumi'], []]);
  });

  it('survives a frame that is too large or malformed', async () => {
    const big = await connect({ Authorization: 'token server-secret' });
    const bigClosed = closed(big.ws);
    big.ws.send(Buffer.alloc(200 * 1024));
    expect(await bigClosed).toBe(1009); // message too big
    const bad = await connect({ Authorization: 'token server-secret' });
    const badClosed = closed(bad.ws);
    bad.ws.send('{"type": "something else"}');
    expect(await badClosed).toBe(1008);
    // Still serving.
    const again = await connect({ Authorization: 'token server-secret' });
    expect(JSON.parse(again.first)).toEqual(['central', 'lumi']);
    again.ws.close();
  });
});
