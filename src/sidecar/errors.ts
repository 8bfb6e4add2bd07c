/**
 * The base of every error the sidecar raises on purpose: a message written
 * for the user (it names the site, what happened and what to do) and a code
 * from `src/protocol/error-codes.ts` for programs. The HTTP layer turns them
 * into answers with one table (`http/error-answers.ts`); nothing below it
 * knows about HTTP.
 */
import type { ErrorCode } from '../protocol';

export abstract class CodedError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : options);
    this.name = new.target.name;
  }
}

/** How much of a user's input an error message repeats. */
export const ECHO_LIMIT = 64;

/** `"text"`, cut to `ECHO_LIMIT` characters: error messages never repeat a whole 10 kB input. */
export function quoted(text: string, limit = ECHO_LIMIT): string {
  const shown = text.length > limit ? `${text.slice(0, limit)}…` : text;
  return JSON.stringify(shown);
}
