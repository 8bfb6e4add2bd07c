/**
 * The narrow view of an OpenID Connect client that the sessions use.
 *
 * `openid-client-connector.ts` implements it with `openid-client` (ESM only, so it is
 * the one file that imports that package and nothing under test imports
 * it); tests implement it with a fake. All times here are seconds, as on
 * the wire.
 */

/** A successful token endpoint answer, already validated. */
export interface ITokenResponse {
  accessToken: string;
  /** Absent if the issuer gave none (then the login ends with the access token). */
  refreshToken?: string;
  /** Lifetime of the access token, seconds. */
  expiresIn?: number;
  /** Lifetime of the refresh token, seconds, if the issuer says (Keycloak does). */
  refreshExpiresIn?: number;
  /** Claims of the ID token, if one came with the answer (checked by the client). */
  idClaims?: {
    sub: string;
    preferred_username?: string;
    [claim: string]: unknown;
  };
}

/** The device authorization answer (RFC 8628 section 3.2). */
export interface IDeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Seconds until the device code expires. */
  expiresIn: number;
  /** Seconds between polls, if the issuer says. */
  interval?: number;
}

/** One poll of the token endpoint with a device code. */
export type DevicePollResult =
  | { status: 'tokens'; tokens: ITokenResponse }
  /** `authorization_pending`: the user has not approved yet. */
  | { status: 'pending' }
  /** `slow_down`: add 5 s to the polling interval (RFC 8628 3.5). */
  | { status: 'slow-down' };

/**
 * The issuer answered with an OAuth error (`invalid_grant`, `access_denied`,
 * `expired_token`, ...) or an answer that failed validation
 * (`invalid_response`). The issuer was reached: this is a refusal.
 */
export class OidcProtocolError extends Error {
  readonly error: string;
  readonly description?: string;
  readonly status?: number;

  constructor(error: string, description?: string, status?: number) {
    super(description ? `${error}: ${description}` : error);
    this.name = 'OidcProtocolError';
    this.error = error;
    this.description = description;
    this.status = status;
  }
}

/**
 * The issuer could not be reached or did not answer properly (network
 * error, timeout, 5xx, not JSON). Worth retrying later.
 */
export class OidcTransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OidcTransportError';
  }
}

/** Parameters every request of a session carries. */
export interface IResourceParams {
  /** RFC 8707 resource indicator(s) for the request, if any. */
  resource?: string | string[];
}

/** A client of one issuer for one client id (public client, no secret). */
export interface IOidcClient {
  /** Does the issuer advertise a device authorization endpoint? */
  readonly supportsDeviceFlow: boolean;
  /** Does the issuer advertise a revocation endpoint? */
  readonly supportsRevocation: boolean;

  startDeviceAuthorization(
    params: { scope: string } & IResourceParams
  ): Promise<IDeviceAuthorization>;
  /** One token request with the device code; never waits itself. */
  pollDeviceAuthorization(
    deviceCode: string,
    params: IResourceParams
  ): Promise<DevicePollResult>;

  randomState(): string;
  randomPkceVerifier(): string;
  pkceChallenge(verifier: string): Promise<string>;
  /**
   * The authorization URL for the code flow with PKCE (S256). `prompt:
   * 'none'` asks the issuer to answer without showing a page (OIDC Core
   * 3.1.2.1): at once with a code when the browser is signed in, else with
   * `login_required` or a like error.
   */
  authorizationUrl(
    params: {
      redirectUri: string;
      scope: string;
      state: string;
      codeChallenge: string;
      prompt?: 'none';
    } & IResourceParams
  ): URL;
  /**
   * Validate the authorization response in `callbackUrl` (state, `iss`,
   * errors) and exchange its code. The token request's `redirect_uri` is
   * `callbackUrl` without its query: pass the public callback URL.
   */
  exchangeCode(
    callbackUrl: URL,
    checks: { expectedState: string; pkceCodeVerifier: string },
    params: IResourceParams
  ): Promise<ITokenResponse>;

  refresh(
    refreshToken: string,
    params: IResourceParams
  ): Promise<ITokenResponse>;

  revoke(
    token: string,
    tokenTypeHint: 'refresh_token' | 'access_token'
  ): Promise<void>;
}

export interface IOidcConnectOptions {
  issuer: URL;
  clientId: string;
  /** Only ever true for an http issuer on the loopback (see issuer-url.ts). */
  allowInsecureRequests: boolean;
}

/** Makes clients (with discovery); the real one is in `openid-client-connector.ts`. */
export interface IOidcConnector {
  /** Rejects with `OidcTransportError` or `OidcProtocolError`. */
  connect(options: IOidcConnectOptions): Promise<IOidcClient>;
}
