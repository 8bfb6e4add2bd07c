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
