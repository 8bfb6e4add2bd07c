/** A fetch that records requests and answers from a route table, for `ServerConnection` settings. */
import { ServerConnection } from '@jupyterlab/services';

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
