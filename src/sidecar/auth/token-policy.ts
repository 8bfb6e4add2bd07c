/**
 * When a session renews its access tokens and what a token answer means
 * for it. Pure functions: tokens come in as arguments and are never kept.
 */
import type { ITokenResponse } from './issuer-client';
import { jwtPayload, userNameFrom } from './user-name';

/** Timing knobs, all in milliseconds except the fraction. */
export interface ISessionTiming {
  /** An access token handed out is valid at least this long (if its lifetime allows). */
  refreshMargin: number;
  /** ...and is refreshed once this fraction of its lifetime has passed. */
  refreshAtFraction: number;
  /** Device flow polling interval when the issuer gives none. */
  defaultPollInterval: number;
  /** Added to the polling interval on `slow_down`. */
  slowDownStep: number;
  /** How long a code flow login (browser popup) may take. */
  codeLoginTimeout: number;
  /** Access token lifetime assumed when neither `expires_in` nor a JWT `exp` says. */
  defaultAccessTtl: number;
  /**
   * If a refresh fails on the network, the current access token is still
   * handed out while it is valid at least this long.
   */
  minValidityOnError: number;
}

export const DEFAULT_TIMING: ISessionTiming = {
  refreshMargin: 60_000,
  refreshAtFraction: 0.8,
  defaultPollInterval: 5_000,
  slowDownStep: 5_000,
  codeLoginTimeout: 600_000,
  defaultAccessTtl: 300_000,
  minValidityOnError: 10_000
};

/** When an access token was issued and expires, ms since the epoch. */
export interface ITokenValidity {
  issuedAt: number;
  expiresAt: number;
}

/** Is it time to refresh? At the margin or the fraction, whichever first. */
export function refreshDue(
  access: ITokenValidity,
  now: number,
  timing: Pick<ISessionTiming, 'refreshMargin' | 'refreshAtFraction'>
): boolean {
  const lifetime = Math.max(0, access.expiresAt - access.issuedAt);
  // A margin longer than half the lifetime would refresh on every call.
  const margin = Math.min(timing.refreshMargin, lifetime / 2);
  const at = Math.min(
    access.expiresAt - margin,
    access.issuedAt + timing.refreshAtFraction * lifetime
  );
  return now >= at;
}

/** The access token's lifetime, ms: `expires_in`, else its JWT `exp`, else the default. */
export function accessTokenLifetime(
  tokens: ITokenResponse,
  now: number,
  defaultAccessTtl: number
): number {
  if (tokens.expiresIn !== undefined && tokens.expiresIn >= 0) {
    return tokens.expiresIn * 1000;
  }
  const exp = jwtPayload(tokens.accessToken)?.exp;
  if (typeof exp === 'number') {
    return Math.max(0, exp * 1000 - now);
  }
  return defaultAccessTtl;
}

/** What a token answer means for the session (everything but the tokens). */
export interface ITokenAnswerFacts extends ITokenValidity {
  /** Who is logged in. */
  user: string;
  /** When the login ends for good, if known. */
  sessionExpiresAt?: number;
}

/**
 * Read a token answer received at `now`. The user and session expiry the
 * session knew so far stay unless the answer says otherwise.
 */
export function readTokenAnswer(
  tokens: ITokenResponse,
  now: number,
  known: { user?: string; sessionExpiresAt?: number },
  defaultAccessTtl: number
): ITokenAnswerFacts {
  const sessionExpiresAt = tokens.refreshExpiresIn
    ? now + tokens.refreshExpiresIn * 1000
    : known.sessionExpiresAt;
  return {
    issuedAt: now,
    expiresAt: now + accessTokenLifetime(tokens, now, defaultAccessTtl),
    user:
      userNameFrom(tokens.idClaims, tokens.accessToken) ??
      known.user ??
      'unknown user',
    ...(sessionExpiresAt !== undefined ? { sessionExpiresAt } : {})
  };
}
