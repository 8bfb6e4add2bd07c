/**
 * Errors of the login sessions. Messages are written for the user (they end
 * up on a site's card or in a notebook) and never contain a token.
 */

import type { ErrorCode } from '../../protocol';
import { CodedError } from '../errors';

/** Base class: every error this module throws on purpose. */
export abstract class AuthError extends CodedError {}

/**
 * There is no usable login: the session is logged out, or its login ended
 * (`login-needed`). The message names the site and says how to log in.
 */
export class LoginNeededError extends AuthError {
  readonly code = 'login-needed' satisfies ErrorCode;
  /** The session's login key (shared by the sites of one issuer + client). */
  readonly loginKey: string;
  /** The issuer URL (for server logs; not in the message). */
  readonly issuer: string;
  /** Why the login ended, if it did (the `login-needed` reason). */
  readonly reason?: string;

  constructor(options: {
    loginKey: string;
    /** Site label (or labels) to name in the message. */
    label: string;
    /** Site name for `%site login <site>`. */
    site: string;
    issuer: string;
    reason?: string;
    cause?: unknown;
  }) {
    const why = options.reason ? `: ${options.reason}` : '';
    super(
      `Not logged in to ${options.label}${why}. ` +
        `Log in to ${options.label} from the Dask Sites panel or with ` +
        `%site login ${options.site}`,
      { cause: options.cause }
    );
    this.loginKey = options.loginKey;
    this.issuer = options.issuer;
    this.reason = options.reason;
  }
}

/**
 * The login server could not be reached (network error, timeout, 5xx). The
 * login itself is kept: try again later.
 */
export class IssuerUnreachableError extends AuthError {
  readonly code = 'issuer-unreachable' satisfies ErrorCode;
  /** The issuer URL (for server logs; not in the message). */
  readonly issuer: string;
  /** What went wrong, without the sentence around it. */
  readonly detail: string;

  constructor(options: {
    issuer: string;
    /** Site label (or labels) to name in the message. */
    label: string;
    /** What was tried: "renew the login", "start a login", ... */
    action: string;
    detail: string;
    /** Appended sentence, e.g. "You stay logged in; try again later". */
    hint?: string;
    /** The network error behind it (never quoted to users; its detail is). */
    cause?: unknown;
  }) {
    super(
      `Could not reach the login server of ${options.label} to ` +
        `${options.action}: ${options.detail}` +
        (options.hint ? `. ${options.hint}` : ''),
      { cause: options.cause }
    );
    this.issuer = options.issuer;
    this.detail = options.detail;
  }
}

/** A login attempt failed or was refused (device or code flow). */
export class LoginFailedError extends AuthError {
  readonly code = 'login-failed' satisfies ErrorCode;
}

/**
 * The OAuth callback does not belong to a login in progress: unknown,
 * already used or expired `state`. Answer it with HTTP 400.
 */
export class CallbackError extends AuthError {
  readonly code = 'login-failed' satisfies ErrorCode;
}

/**
 * A site's auth settings cannot work: an http issuer off the loopback,
 * `JUPYTERHUB_API_TOKEN` missing, the code flow without a callback URL, an
 * unknown site name.
 */
export class AuthConfigError extends AuthError {
  readonly code = 'auth-misconfigured' satisfies ErrorCode;
}
