/**
 * The live WebSocket (`<wsUrl>dask-sites/api/live`): msgpack messages, a
 * snapshot first and then diffs (whole changed sites). The connection says
 * which sites the panel shows (`watch`), reconnects by itself with backoff,
 * and does nothing at all while stopped.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { Packr, Unpackr } from 'msgpackr';

import {
  applyLiveMessage,
  liveMsgpackOptions,
  liveStreamMsgpackOptions,
  type ISiteState,
  type LiveMessage,
  type LiveRequest
} from '../../protocol';

/**
 * - `stopped`: not wanted (the panel is hidden); no socket, no timer.
 * - `connecting`: a socket is opening.
 * - `open`: messages flow.
 * - `waiting`: the socket closed; a reconnect is due at `retryAt`.
 */
export type LiveStatus = 'stopped' | 'connecting' | 'open' | 'waiting';

export class LiveConnection implements IDisposable {
  constructor(options: LiveConnection.IOptions) {
    this._url = options.url;
    this._WebSocket = options.WebSocket ?? WebSocket;
    this._minDelay = options.minDelayMs ?? 1_000;
    this._maxDelay = options.maxDelayMs ?? 30_000;
    this._random = options.random ?? Math.random;
    this._connectTimeout = options.connectTimeoutMs ?? 10_000;
  }

  get status(): LiveStatus {
    return this._status;
  }

  /** Why the last socket closed, for the panel (undefined while open). */
  get lastError(): string | undefined {
    return this._lastError;
  }

  /** When the next reconnect happens (ms since the epoch), while `waiting`. */
  get retryAt(): number | undefined {
    return this._retryAt;
  }

  /** The sites as the last messages left them. */
  get sites(): readonly ISiteState[] {
    return this._sites;
  }

  get statusChanged(): ISignal<this, LiveStatus> {
    return this._statusChanged;
  }

  /** Every decoded message, after `sites` took it in. */
  get received(): ISignal<this, LiveMessage> {
    return this._received;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Connect (if not already) and keep reconnecting until `stop()`. */
  start(): void {
    if (this._disposed || this._status !== 'stopped') {
      return;
    }
    this._attempt = 0;
    this.open();
  }

  /** Close the socket and cancel any reconnect: nothing runs while stopped. */
  stop(): void {
    this.clearTimer();
    this.closeSocket();
    this._lastError = undefined;
    this.setStatus('stopped');
  }

  /** Reconnect now rather than at `retryAt` (a "retry" button). */
  reconnect(): void {
    if (this._disposed) {
      return;
    }
    this.clearTimer();
    this.closeSocket();
    this._attempt = 0;
    this.open();
  }

  /** Say which sites the panel shows (sent now if open, else on connect). */
  watch(sites: readonly string[]): void {
    const next = [...sites];
    if (
      this._watched &&
      next.length === this._watched.length &&
      next.every((s, i) => s === this._watched![i])
    ) {
      return;
    }
    this._watched = next;
    this.sendWatch();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this.stop();
    this._disposed = true;
    Signal.clearData(this);
  }

  private open(): void {
    this._retryAt = undefined;
    this.setStatus('connecting');
    let socket: WebSocket;
    try {
      socket = new this._WebSocket(this._url());
    } catch (err) {
      this.closed(err instanceof Error ? err.message : String(err));
      return;
    }
    socket.binaryType = 'arraybuffer';
    // A handshake that never ends (a stalled proxy, a browser's connection
    // limit while a page loads) would leave the panel without figures.
    this._timer = setTimeout(() => {
      this._timer = undefined;
      if (socket === this._socket && this._status === 'connecting') {
        this.drop(
          `the live connection did not open within ${Math.round(this._connectTimeout / 1000)} s`
        );
      }
    }, this._connectTimeout);
    // One decoder per connection: the stream's record structures are per connection.
    const unpackr = new Unpackr(liveStreamMsgpackOptions());
    let seq = 0;
    socket.onopen = () => {
      if (socket !== this._socket) {
        return;
      }
      this.clearTimer();
      this._lastError = undefined;
      this.setStatus('open');
      this.sendWatch();
    };
    socket.onmessage = event => {
      if (socket !== this._socket) {
        return;
      }
      let message: LiveMessage;
      try {
        message = unpackr.unpack(
          new Uint8Array(event.data as ArrayBuffer)
        ) as LiveMessage;
      } catch (err) {
        this.drop(`a live message could not be decoded (${String(err)})`);
        return;
      }
      if (message.seq !== seq + 1) {
        // The stream is stateful: a lost message means start over.
        this.drop(`live message ${message.seq} came after ${seq}`);
        return;
      }
      seq = message.seq;
      this._attempt = 0;
      this._sites = applyLiveMessage(this._sites, message);
      this._received.emit(message);
    };
    socket.onclose = event => {
      if (socket !== this._socket) {
        return;
      }
      this._socket = undefined;
      this.closed(
        event.reason ||
          (event.code === 1006
            ? 'the connection to the Jupyter server was lost'
            : `closed (${event.code})`)
      );
    };
    socket.onerror = () => {
      // A close event follows and says the rest.
    };
    this._socket = socket;
  }

  /** Close a socket whose stream is broken, and reconnect after the backoff. */
  private drop(reason: string): void {
    this.closeSocket();
    this.closed(reason);
  }

  private closed(reason: string): void {
    if (this._status === 'stopped' || this._disposed) {
      return;
    }
    this.clearTimer(); // the connect timeout of the socket that closed
    this._lastError = reason;
    const base = Math.min(this._maxDelay, this._minDelay * 2 ** this._attempt);
    // Jitter (50-100 %) so many tabs do not reconnect in step after a restart.
    const delay = Math.round(base * (0.5 + this._random() / 2));
    this._attempt += 1;
    this._retryAt = Date.now() + delay;
    this._timer = setTimeout(() => {
      this._timer = undefined;
      this.open();
    }, delay);
    this.setStatus('waiting');
  }

  private sendWatch(): void {
    const socket = this._socket;
    if (!socket || socket.readyState !== 1 || !this._watched) {
      return;
    }
    const request: LiveRequest = { type: 'watch', sites: this._watched };
    socket.send(Private.packer.pack(request));
  }

  private closeSocket(): void {
    const socket = this._socket;
    this._socket = undefined;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close(1000, 'not watching');
      } catch {
        // already closed
      }
    }
  }

  private clearTimer(): void {
    if (this._timer !== undefined) {
      clearTimeout(this._timer);
      this._timer = undefined;
    }
    this._retryAt = undefined;
  }

  private setStatus(status: LiveStatus): void {
    if (this._status !== status) {
      this._status = status;
      this._statusChanged.emit(status);
    }
  }

  private readonly _url: () => string;
  private readonly _WebSocket: typeof WebSocket;
  private readonly _minDelay: number;
  private readonly _maxDelay: number;
  private readonly _random: () => number;
  private readonly _connectTimeout: number;
  private _socket: WebSocket | undefined;
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private _attempt = 0;
  private _status: LiveStatus = 'stopped';
  private _lastError: string | undefined;
  private _retryAt: number | undefined;
  private _watched: string[] | undefined;
  private _sites: ISiteState[] = [];
  private _disposed = false;
  private readonly _statusChanged = new Signal<this, LiveStatus>(this);
  private readonly _received = new Signal<this, LiveMessage>(this);
}

export namespace LiveConnection {
  export interface IOptions {
    /** The socket's URL, asked at every (re)connect. */
    url: () => string;
    /** Defaults to the browser's (`ServerConnection.ISettings.WebSocket`). */
    WebSocket?: typeof WebSocket;
    /** First reconnect delay (default 1 s); doubles per failure. */
    minDelayMs?: number;
    /** Longest reconnect delay (default 30 s). */
    maxDelayMs?: number;
    /** Give up on a socket that has not opened after this long (default 10 s). */
    connectTimeoutMs?: number;
    /** For tests: the jitter's random source. */
    random?: () => number;
  }
}

namespace Private {
  /** Requests are self-contained messages (records defined inline), as the sidecar decodes them. */
  export const packer = new Packr(liveMsgpackOptions());
}
