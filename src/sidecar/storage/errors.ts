/**
 * Why a site's object-store keys cannot be given. Messages name the site and
 * what to do, and never hold a token or a key.
 */
import type { ErrorCode } from '../../protocol';
import { CodedError } from '../errors';

export type StorageErrorCode = Extract<
  ErrorCode,
  | 'no-storage-credentials'
  | 'storage-credentials-refused'
  | 'storage-unreachable'
>;

export class StorageCredentialsError extends CodedError {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options);
  }
}
