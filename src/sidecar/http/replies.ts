/**
 * The sidecar's answers as bytes: JSON, errors (their status from the one
 * table in `error-answers.ts`) and HTML pages, never cached, never sniffed.
 */
import type { ServerResponse } from 'node:http';

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
