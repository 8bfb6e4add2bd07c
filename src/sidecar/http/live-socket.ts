/**
 * `/api/live`: one WebSocket per browser tab. The sidecar sends a snapshot
 * on connect and then the states of sites that change; the browser says
 * which sites it shows, so live figures are fetched only while watched.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { WebSocketServer, type WebSocket } from 'ws';
import * as z from 'zod';

import type { ISiteState } from '../../protocol';

export interface ILiveSource {
  siteStates(): ISiteState[];
  /** Calls back with the names of sites whose state changed. */
  onChange(listener: (sites: string[]) => void): () => void;
  /** One connection's watched sites: `set()` on every watch request, `close()` at the end. */
  subscription(): { set(sites: string[]): void; close(): void };
}

/** Encodes one connection's messages (stateful: msgpack records, diffs against what it sent). */
export interface ILiveEncoder {
  /** Snapshot first, then diffs; undefined when nothing changed for this peer. */
  next(sites: readonly ISiteState[]): Uint8Array | undefined;
}

export interface ILiveSocketOptions {
  source: ILiveSource;
  newEncoder: () => ILiveEncoder;
  /** Decodes a binary request (text frames are JSON). */
  decode: (data: Uint8Array) => unknown;
  /**
   * Origins allowed to open the socket; empty: no check here. Behind the
   * Jupyter proxy (the only holder of the server secret) Jupyter's own
   * `check_origin` has already decided, and knows the real public origin.
   */
  allowedOrigins: string[];
  pingIntervalMs?: number;
  /** Changes within this many ms go out as one message (default 50). */
  coalesceMs?: number;
}

const PATH = '/api/live';
const watchRequest = z.strictObject({
  type: z.literal('watch'),
  sites: z.array(z.string().max(64)).max(256)
});

export class LiveSocket {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024
  });
  private readonly alive = new WeakSet<WebSocket>();
  private readonly encoders = new Map<WebSocket, ILiveEncoder>();
  private pending: NodeJS.Timeout | undefined;
  private readonly pinger: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ILiveSocketOptions) {
    this.unsubscribe = options.source.onChange(() => this.scheduleBroadcast());
    this.pinger = setInterval(
      () => this.ping(),
      options.pingIntervalMs ?? 30_000
    );
    this.pinger.unref();
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }

  handleUpgrade = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer
  ): boolean => {
    if ((req.url ?? '').split('?')[0] !== PATH) {
      return false;
    }
    const origin = req.headers.origin;
    const allowed = this.options.allowedOrigins;
    if (origin && allowed.length && !allowed.includes(origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, ws => this.accept(ws));
    return true;
  };

  close(): void {
    clearInterval(this.pinger);
    clearTimeout(this.pending);
    this.unsubscribe();
    for (const client of this.wss.clients) {
      client.terminate();
    }
    this.wss.close();
  }

  private accept(ws: WebSocket): void {
    this.alive.add(ws);
    const encoder = this.options.newEncoder();
    this.encoders.set(ws, encoder);
    const watching = this.options.source.subscription();
    ws.on('pong', () => this.alive.add(ws));
    // Without a listener, a bad frame (too large, invalid UTF-8) would crash the process.
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      const parsed = watchRequest.safeParse(
        this.decode(data as Buffer, isBinary)
      );
      if (!parsed.success) {
        ws.close(1008, 'expected {"type": "watch", "sites": [...]}');
        return;
      }
      watching.set(parsed.data.sites);
    });
    ws.on('close', () => {
      watching.close();
      this.encoders.delete(ws);
    });
    this.push(ws, this.options.source.siteStates());
  }

  /** Changes come in bursts (one per site or cluster): send them as one message. */
  private scheduleBroadcast(): void {
    if (!this.pending) {
      this.pending = setTimeout(() => {
        this.pending = undefined;
        this.broadcast();
      }, this.options.coalesceMs ?? 50);
    }
  }

  private broadcast(): void {
    if (!this.encoders.size) {
      return;
    }
    const sites = this.options.source.siteStates();
    for (const ws of this.encoders.keys()) {
      this.push(ws, sites);
    }
  }

  private push(ws: WebSocket, sites: ISiteState[]): void {
    const data = this.encoders.get(ws)?.next(sites);
    if (data) {
      ws.send(data);
    }
  }

  private decode(data: Buffer, isBinary: boolean): unknown {
    try {
      return isBinary
        ? this.options.decode(data)
        : JSON.parse(data.toString('utf8'));
    } catch {
      return undefined;
    }
  }

  /** Drop peers that stopped answering pings (a closed laptop lid). */
  private ping(): void {
    for (const client of this.wss.clients) {
      if (!this.alive.has(client)) {
        client.terminate();
        continue;
      }
      this.alive.delete(client);
      client.ping();
    }
  }
}
