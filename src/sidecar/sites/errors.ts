/**
 * Why a request about a site or its clusters cannot be answered, apart from
 * the login (`auth/errors.ts`) and the gateway (`gateway/errors.ts`).
 */
import type { ErrorCode } from '../../protocol';
import { CodedError } from '../errors';

export type SitesErrorCode = Extract<
  ErrorCode,
  | 'unknown-site'
  | 'site-error'
  | 'no-cluster'
  | 'ambiguous-cluster'
  | 'cluster-unreachable'
>;

export class SitesError extends CodedError {
  constructor(
    readonly code: SitesErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options);
  }
}
