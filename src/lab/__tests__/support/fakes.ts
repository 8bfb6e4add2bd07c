/** Test doubles: a recording fetch, a controllable WebSocket, site states. */
import { ServerConnection } from '@jupyterlab/services';

import type { IClusterInfo, ISiteState } from '../../../protocol';

export interface IRecorded {
  method: string;
  url: string;
  path: string;
  body: unknown;
  headers: Headers;
}

type Responder = (request: IRecorded) => Response | Promise<Response>;

/** A fetch that records requests and answers from a route table (`METHOD path`). */
export class FakeFetch {
  readonly requests: IRecorded[] = [];
  private readonly routes = new Map<string, Responder>();

  on(method: string, path: string, answer: Responder | unknown): this {
    this.routes.set(
      `${method} ${path}`,
      typeof answer === 'function'
        ? (answer as Responder)
        : () => json(200, answer)
    );
    return this;
  }

  fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const request = input as Request;
    const url = new URL(request.url);
    const path = url.pathname;
    const text = await request.text();
    const recorded: IRecorded = {
      method: request.method,
      url: request.url,
      path,
      body: text ? JSON.parse(text) : undefined,
      headers: request.headers
    };
    this.requests.push(recorded);
    const responder = this.routes.get(`${request.method} ${path}`);
    if (!responder) {
      return json(404, {
        error: `no fake route for ${request.method} ${path}`
      });
    }
    return responder(recorded);
  };

  settings(baseUrl = 'http://localhost/'): ServerConnection.ISettings {
    return ServerConnection.makeSettings({
      baseUrl,
      wsUrl: baseUrl.replace(/^http/, 'ws'),
      fetch: this.fetch as typeof fetch,
      token: ''
    });
  }
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

/** A WebSocket the test drives: `open()`, `receive(bytes)`, `serverClose()`. */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  readonly sent: Uint8Array[] = [];
  readyState = 0;
  binaryType = 'blob';
  closedByClient: { code?: number; reason?: string } | undefined;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  static get last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  send(data: Uint8Array): void {
    this.sent.push(new Uint8Array(data));
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }

  receive(bytes: Uint8Array): void {
    // Copy into a fresh ArrayBuffer, as a browser delivers it.
    const buffer = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(buffer).set(bytes);
    this.onmessage?.({ data: buffer } as MessageEvent);
  }

  serverClose(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

export function cluster(overrides: Partial<IClusterInfo> = {}): IClusterInfo {
  return {
    name: 'c0ffee00aa',
    displayName: 'c0ffee00',
    status: 'RUNNING',
    dashboardRoute: '/clusters/c0ffee00aa/status',
    startTime: Date.now() - 5 * 60_000,
    options: {},
    live: {
      workers: 2,
      threads: 4,
      memory: 512 * 1024 ** 2,
      memoryLimit: 4 * 1024 ** 3,
      tasksProcessing: 3,
      updatedAt: Date.now()
    },
    ...overrides
  };
}

export function site(overrides: Partial<ISiteState> = {}): ISiteState {
  return {
    name: 'central',
    label: 'Central (Warsaw)',
    colour: '#1f77b4',
    loginKey: 'issuer-a',
    login: {
      status: 'logged-in',
      user: 'alice',
      accessExpiresAt: Date.now() + 300_000,
      sessionExpiresAt: Date.now() + 3 * 3600_000
    },
    reachability: { status: 'up', version: '2026.3.0' },
    clusters: [],
    ...overrides
  };
}
