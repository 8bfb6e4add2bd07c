/**
 * The user name shown for a login: `preferred_username`, else `sub`, from
 * the ID token's claims; failing that, from the access token if it is a
 * JWT (read for display only, not verified: the gateway verifies it).
 */

export function userNameFrom(
  idClaims: { sub?: unknown; preferred_username?: unknown } | undefined,
  accessToken: string | undefined
): string | undefined {
  const fromId = pick(idClaims);
  if (fromId) {
    return fromId;
  }
  return accessToken ? pick(jwtPayload(accessToken)) : undefined;
}

function pick(
  claims: { sub?: unknown; preferred_username?: unknown } | undefined
): string | undefined {
  if (!claims) {
    return undefined;
  }
  for (const value of [claims.preferred_username, claims.sub]) {
    if (typeof value === 'string' && value) {
      return value;
    }
  }
  return undefined;
}

/** The payload of a JWT-shaped token, or undefined. */
export function jwtPayload(
  token: string
): { [claim: string]: unknown } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return undefined;
  }
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(parts[1], 'base64url').toString('utf8')
    );
    return payload && typeof payload === 'object' && !Array.isArray(payload)
      ? (payload as { [claim: string]: unknown })
      : undefined;
  } catch {
    return undefined;
  }
}
