/**
 * The sidecar's answers as bytes: JSON, errors (their status from the one
 * table in `error-answers.ts`) and HTML pages, never cached, never sniffed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { IErrorResponse } from '../../protocol';
import { HTTP_STATUS, type SidecarErrorCode } from './error-answers';

/** An error answer: a message for people and a code for programs; the code decides the status. */
export function sendError(
  res: ServerResponse,
  code: SidecarErrorCode,
  message: string
): void {
  const answer: IErrorResponse = { error: message, code };
  sendJson(res, HTTP_STATUS[code], answer);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown
): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(data),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff'
  });
  res.end(data);
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string
): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    'Content-Security-Policy':
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
    'X-Content-Type-Options': 'nosniff'
  });
  res.end(html);
}

/** Bodies read (and dropped) before a refusal; a bigger one loses its connection. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

/**
 * Read and drop a body the answer does not need (up to `DRAIN_LIMIT`;
 * beyond, the socket goes). Answering before the body is read resets the
 * connection, and through Jupyter the browser would get an HTML 500.
 * Never rejects: a client that aborts mid-body only loses its answer (an
 * unhandled rejection would end the sidecar).
 */
export async function discardBody(req: IncomingMessage): Promise<undefined> {
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > DRAIN_LIMIT) {
        req.socket.destroy();
        break;
      }
    }
  } catch {
    req.socket.destroy(); // aborted: nobody is left to answer
  }
  return undefined;
}

/** Text made safe to put in HTML (element content or a quoted attribute). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}
