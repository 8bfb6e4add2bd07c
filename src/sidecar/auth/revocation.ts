/**
 * Revoking tokens at the issuer (RFC 7009): at logout, with a warning for
 * every token that stays valid, and quietly for tokens nobody will use.
 * The tokens come in as arguments; nothing here keeps them.
 */
import { OidcProtocolError, type IOidcClient } from './issuer-client';
import type { ConnectIssuer } from './issuer-connection';
import { errorMessage, redactTokens } from './login-failures';

type TokenTypeHint = 'refresh_token' | 'access_token';

/**
 * Revoke the tokens of a login that was just logged out: the refresh token
 * first, then the access tokens. Returns the warnings (nothing throws).
 */
export async function revokeLogin(
  connect: ConnectIssuer,
  tokens: { refreshToken?: string; accessTokens: string[] },
  label: string
): Promise<string[]> {
  const { refreshToken, accessTokens } = tokens;
  if (refreshToken === undefined && !accessTokens.length) {
    return [];
  }
  const redact = (text: string) =>
    redactTokens(text, [refreshToken, ...accessTokens]);
  let client: IOidcClient;
  try {
    client = await connect('revoke the login');
  } catch (err) {
    return [
      `${redact(errorMessage(err))}; the tokens stay valid at the login ` +
        'server until they expire'
    ];
  }
  if (!client.supportsRevocation) {
    return refreshToken !== undefined
      ? [
          `the login server of ${label} offers no token revocation; ` +
            'the login stays valid there until it expires'
        ]
      : [];
  }
  const revocations: [string, TokenTypeHint][] = [
    ...(refreshToken !== undefined
      ? [[refreshToken, 'refresh_token'] as [string, TokenTypeHint]]
      : []),
    ...accessTokens.map(t => [t, 'access_token'] as [string, TokenTypeHint])
  ];
  const warnings: string[] = [];
  for (const [token, hint] of revocations) {
    try {
      await client.revoke(token, hint);
    } catch (err) {
      if (
        hint === 'access_token' &&
        err instanceof OidcProtocolError &&
        err.error === 'unsupported_token_type'
      ) {
        continue; // self-contained access tokens just expire
      }
      warnings.push(
        `could not revoke the ${hint === 'refresh_token' ? 'refresh' : 'access'} ` +
          `token of ${label}: ${redact(errorMessage(err))}`
      );
    }
  }
  return warnings;
}

/** Best effort: revoke a refresh token nobody will use (unless it is `except`). */
export async function revokeQuietly(
  connect: ConnectIssuer,
  refreshToken: string | undefined,
  except?: string
): Promise<void> {
  if (!refreshToken || refreshToken === except) {
    return;
  }
  try {
    const client = await connect('revoke an unused login');
    if (client.supportsRevocation) {
      await client.revoke(refreshToken, 'refresh_token');
    }
  } catch {
    // nothing to do: it expires
  }
}
