/**
 * The authorization code flow with PKCE, for a login in a browser popup:
 * the authorization URL, the record of the login waiting for its callback,
 * and the checks of that callback. Nothing here changes a session: the
 * checks say what the callback means and the session acts on it.
 */
import { timingSafeEqual } from 'node:crypto';

import type { IClock } from './clock';
import { CallbackError, LoginFailedError } from './errors';
import type { IOidcClient, IResourceParams } from './issuer-client';
import { codeExpiredReason } from './login-failures';

/**
 * A code login waiting for its callback. `verifier` is the PKCE secret:
 * keep the record where tokens are kept (a private field).
 */
export interface IPendingCodeLogin {
  /** The OAuth `state`: single use, matched in constant time. */
  state: string;
  verifier: string;
  /** The public callback URL the login started with. */
  redirectUri: string;
  /**
   * Asked with `prompt=none`: a browser already signed in at the issuer
   * (e.g. through the hub) comes straight back; one that is not comes back
   * with an interaction error, and the login goes on with the issuer's page.
   */
  silent: boolean;
  /** ms since the epoch. */
  expiresAt: number;
}

/**
 * The errors an issuer answers `prompt=none` with when it would have to
 * show a page (OIDC Core 3.1.2.6): the login then goes on with the page.
 */
const NEEDS_A_PAGE = new Set([
  'login_required',
  'interaction_required',
  'consent_required',
  'account_selection_required'
]);

/** A fresh `state` and PKCE verifier, and the URL to open in the popup. */
export async function prepareCodeLogin(
  client: IOidcClient,
  params: {
    redirectUri: string;
    scope: string;
    prompt?: 'none';
  } & IResourceParams
): Promise<{
  state: string;
  verifier: string;
  authorizationUrl: URL;
}> {
  const state = client.randomState();
  const verifier = client.randomPkceVerifier();
  const codeChallenge = await client.pkceChallenge(verifier);
  const authorizationUrl = client.authorizationUrl({
    ...params,
    state,
    codeChallenge
  });
  return { state, verifier, authorizationUrl };
}

/** Does the callback carry the `state` of this pending login? */
export function isCallbackOf(
  pending: Pick<IPendingCodeLogin, 'state'> | undefined,
  callbackUrl: URL
): boolean {
  const state = callbackUrl.searchParams.get('state');
  return (
    pending !== undefined && state !== null && sameString(state, pending.state)
  );
}

/** For a callback that matches no login in progress. */
export function unknownCallbackError(): CallbackError {
  return new CallbackError(
    'This login answer does not belong to a login in progress (unknown, ' +
      'already used or expired); start the login again from the Dask Sites panel'
  );
}

/** What a matching callback means. */
export type CallbackCheck =
  /** Too late, or the issuer refused: the login ends with `reason`. */
  | { status: 'expired' | 'refused'; reason: string; error: Error }
  /** A silent login the issuer cannot answer without its page: show it. */
  | { status: 'needs-page' }
  /** Exchange the code: the answer as if it came to the public callback URL. */
  | { status: 'exchange'; answerUrl: URL };

/**
 * Check a callback of `pending` (its `state` already matched). Only its
 * query matters: the answer URL is the public redirect URI with it, whatever
 * host/path the callback arrived at.
 */
export function checkCallback(
  pending: IPendingCodeLogin,
  callbackUrl: URL,
  context: {
    now: number;
    codeLoginTimeout: number;
    label: string;
    redact(text: string): string;
  }
): CallbackCheck {
  if (context.now >= pending.expiresAt) {
    const reason = codeExpiredReason(context.codeLoginTimeout);
    return {
      status: 'expired',
      reason,
      error: new CallbackError(`The login took too long: ${reason}`)
    };
  }
  const query = callbackUrl.searchParams;
  const error = query.get('error');
  if (error && pending.silent && NEEDS_A_PAGE.has(error)) {
    return { status: 'needs-page' };
  }
  if (error) {
    const description = query.get('error_description');
    const reason = context.redact(
      `the login server refused the login (${error}${description ? `: ${description}` : ''})`
    );
    return {
      status: 'refused',
      reason,
      error: new LoginFailedError(`Login to ${context.label} failed: ${reason}`)
    };
  }
  const answerUrl = new URL(pending.redirectUri);
  answerUrl.search = '';
  query.forEach((value, name) => answerUrl.searchParams.append(name, value));
  return { status: 'exchange', answerUrl };
}

/**
 * Wait until the login expires. True if it did; false if `signal` aborted
 * first (the login finished or was abandoned).
 */
export async function codeLoginExpired(
  clock: IClock,
  expiresAt: number,
  signal: AbortSignal
): Promise<boolean> {
  await clock.sleep(expiresAt - clock.now(), signal);
  return !signal.aborted;
}

/** Constant-time equality, so a forged `state` cannot be guessed bit by bit. */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
