/**
 * How failures read to the user: the reasons a login ends in
 * `login-needed`, and the errors that wrap what the issuer (or the network)
 * answered. Every text is scrubbed of the session's tokens.
 */
import { AuthError, IssuerUnreachableError, LoginFailedError } from './errors';
import { OidcProtocolError } from './issuer-client';

/** What failure texts need of a session; `redact` scrubs its current tokens. */
export interface IFailureContext {
  /** The issuer URL (kept on errors for server logs, never in messages). */
  issuer: string;
  /** The labels of the sites sharing the login, for messages. */
  label: string;
  redact(text: string): string;
}

export function deviceExpiredReason(): string {
  return 'the login code expired before it was approved; start the login again';
}

export function codeExpiredReason(codeLoginTimeout: number): string {
  const minutes = Math.round(codeLoginTimeout / 60_000);
  return `the login in the browser was not finished within ${minutes} min; start it again`;
}

/** The issuer answered a device code poll with an error. */
export function deviceRefusedReason(
  err: OidcProtocolError,
  redact: (text: string) => string
): string {
  if (err.error === 'expired_token') {
    return deviceExpiredReason();
  }
  if (err.error === 'access_denied') {
    return 'the login was declined at the login server';
  }
  return redact(`the login server refused the login (${err.message})`);
}

/** `IssuerUnreachableError` for `action`; `keptLogin` adds "You stay logged in". */
export function issuerUnreachable(
  context: IFailureContext,
  action: string,
  detail: string,
  options: { keptLogin?: boolean; cause?: unknown } = {}
): IssuerUnreachableError {
  return new IssuerUnreachableError({
    issuer: context.issuer,
    label: context.label,
    action,
    detail,
    hint: options.keptLogin ? 'You stay logged in; try again later' : undefined,
    cause: options.cause
  });
}

/** Map a failure during a login attempt to the error and a reason. */
export function loginFailure(
  err: unknown,
  action: string,
  context: IFailureContext
): { error: Error; reason: string } {
  if (err instanceof OidcProtocolError) {
    const reason = context.redact(
      `the login server refused to ${action} (${err.message})`
    );
    return {
      error: new LoginFailedError(
        `Login to ${context.label} failed: ${reason}`,
        { cause: redactedCause(err, context.redact) }
      ),
      reason
    };
  }
  if (err instanceof AuthError) {
    return { error: err, reason: context.redact(err.message) };
  }
  const unreachable = issuerUnreachable(
    context,
    action,
    context.redact(errorMessage(err)),
    { cause: redactedCause(err, context.redact) }
  );
  return { error: unreachable, reason: unreachable.message };
}

/**
 * The error behind a failure, safe to keep as a `cause`: the issuer's (or
 * the network's) text may quote a token, so the cause is a copy with the
 * text redacted, never the original object and its own causes.
 */
export function redactedCause(
  err: unknown,
  redact: (text: string) => string
): Error {
  if (err instanceof OidcProtocolError) {
    return new OidcProtocolError(
      redact(err.error),
      err.description === undefined ? undefined : redact(err.description),
      err.status
    );
  }
  const copy = new Error(redact(errorMessage(err)));
  copy.name = err instanceof Error ? err.name : 'Error';
  return copy;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Replace each token in `text` by `[redacted]`; tokens under 8 characters are left (too likely to match words). */
export function redactTokens(
  text: string,
  tokens: (string | undefined)[]
): string {
  let out = text;
  for (const token of tokens) {
    if (token && token.length >= 8) {
      out = out.split(token).join('[redacted]');
    }
  }
  return out;
}
