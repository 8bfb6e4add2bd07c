/**
 * The real `IOidcConnector`, on `openid-client` v6.
 *
 * This is the only file that imports `openid-client`. The package is ESM
 * only: the sidecar bundle (esbuild) includes it, while the jest tests
 * (CommonJS) never load this file and inject a fake connector instead.
 *
 * Errors of openid-client are turned into `OidcProtocolError` (the issuer
 * refused) or `OidcTransportError` (it could not be reached or answered
 * nonsense); their messages carry no request or response bodies.
 */
import * as client from 'openid-client';

import {
  OidcProtocolError,
  OidcTransportError,
  type DevicePollResult,
  type IDeviceAuthorization,
  type IOidcClient,
  type IOidcConnectOptions,
  type IOidcConnector,
  type IResourceParams,
  type ITokenResponse
} from './issuer-client';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface IOpenidClientConnectorOptions {
  /** Per-request timeout, seconds (openid-client's default is 30). */
  timeoutSeconds?: number;
}

/** Connects with OpenID Connect discovery, as a public client (no secret). */
export class OpenidClientConnector implements IOidcConnector {
  readonly #timeout?: number;

  constructor(options: IOpenidClientConnectorOptions = {}) {
    this.#timeout = options.timeoutSeconds;
  }

  async connect(options: IOidcConnectOptions): Promise<IOidcClient> {
    let config: client.Configuration;
    try {
      config = await client.discovery(
        options.issuer,
        options.clientId,
        { token_endpoint_auth_method: 'none' },
        client.None(),
        {
          // Also covers the discovery request itself.
          execute: options.allowInsecureRequests
            ? [client.allowInsecureRequests]
            : [],
          timeout: this.#timeout
        }
      );
    } catch (err) {
      throw mapError(err);
    }
    return new OpenidClient(config);
  }
}

class OpenidClient implements IOidcClient {
  readonly #config: client.Configuration;

  constructor(config: client.Configuration) {
    this.#config = config;
  }

  get supportsDeviceFlow(): boolean {
    return !!this.#config.serverMetadata().device_authorization_endpoint;
  }

  get supportsRevocation(): boolean {
    return !!this.#config.serverMetadata().revocation_endpoint;
  }

  async startDeviceAuthorization(
    params: { scope: string } & IResourceParams
  ): Promise<IDeviceAuthorization> {
    try {
      const answer = await client.initiateDeviceAuthorization(
        this.#config,
        withResource({ scope: params.scope }, params.resource)
      );
      return {
        deviceCode: answer.device_code,
        userCode: answer.user_code,
        verificationUri: answer.verification_uri,
        verificationUriComplete: answer.verification_uri_complete,
        expiresIn: answer.expires_in,
        interval: answer.interval
      };
    } catch (err) {
      throw mapError(err);
    }
  }

  async pollDeviceAuthorization(
    deviceCode: string,
    params: IResourceParams
  ): Promise<DevicePollResult> {
    // One request of openid-client's pollDeviceAuthorizationGrant loop (the
    // device code answer is processed exactly like a generic grant's), so
    // the session's injectable clock does the waiting.
    try {
      const answer = await client.genericGrantRequest(
        this.#config,
        DEVICE_CODE_GRANT,
        withResource({ device_code: deviceCode }, params.resource)
      );
      return { status: 'tokens', tokens: tokenResponse(answer) };
    } catch (err) {
      if (err instanceof client.ResponseBodyError) {
        if (err.error === 'authorization_pending') {
          return { status: 'pending' };
        }
        if (err.error === 'slow_down') {
          return { status: 'slow-down' };
        }
      }
      throw mapError(err);
    }
  }

  randomState(): string {
    return client.randomState();
  }

  randomPkceVerifier(): string {
    return client.randomPKCECodeVerifier();
  }

  pkceChallenge(verifier: string): Promise<string> {
    return client.calculatePKCECodeChallenge(verifier);
  }

  authorizationUrl(
    params: {
      redirectUri: string;
      scope: string;
      state: string;
      codeChallenge: string;
      prompt?: 'none';
    } & IResourceParams
  ): URL {
    return client.buildAuthorizationUrl(
      this.#config,
      withResource(
        {
          redirect_uri: params.redirectUri,
          scope: params.scope,
          state: params.state,
          code_challenge: params.codeChallenge,
          code_challenge_method: 'S256',
          ...(params.prompt ? { prompt: params.prompt } : {})
        },
        params.resource
      )
    );
  }

  async exchangeCode(
    callbackUrl: URL,
    checks: { expectedState: string; pkceCodeVerifier: string },
    params: IResourceParams
  ): Promise<ITokenResponse> {
    try {
      const answer = await client.authorizationCodeGrant(
        this.#config,
        callbackUrl,
        {
          expectedState: checks.expectedState,
          pkceCodeVerifier: checks.pkceCodeVerifier
        },
        withResource({}, params.resource)
      );
      return tokenResponse(answer);
    } catch (err) {
      throw mapError(err);
    }
  }

  async refresh(
    refreshToken: string,
    params: IResourceParams
  ): Promise<ITokenResponse> {
    try {
      const answer = await client.refreshTokenGrant(
        this.#config,
        refreshToken,
        withResource({}, params.resource)
      );
      return tokenResponse(answer);
    } catch (err) {
      throw mapError(err);
    }
  }

  async revoke(
    token: string,
    tokenTypeHint: 'refresh_token' | 'access_token'
  ): Promise<void> {
    try {
      await client.tokenRevocation(this.#config, token, {
        token_type_hint: tokenTypeHint
      });
    } catch (err) {
      throw mapError(err);
    }
  }

  toJSON(): { issuer: string } {
    return { issuer: this.#config.serverMetadata().issuer };
  }
}

function withResource(
  base: Record<string, string>,
  resource: string | string[] | undefined
): URLSearchParams {
  const params = new URLSearchParams(base);
  for (const r of resource === undefined ? [] : [resource].flat()) {
    params.append('resource', r);
  }
  return params;
}

function tokenResponse(
  answer: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers
): ITokenResponse {
  const claims = answer.claims();
  const refreshExpiresIn = answer['refresh_expires_in'];
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    expiresIn: answer.expiresIn(),
    refreshExpiresIn:
      typeof refreshExpiresIn === 'number' && refreshExpiresIn > 0
        ? refreshExpiresIn
        : undefined,
    idClaims: claims
      ? {
          ...claims,
          sub: claims.sub,
          preferred_username:
            typeof claims.preferred_username === 'string'
              ? claims.preferred_username
              : undefined
        }
      : undefined
  };
}

/** Transport failures: worth retrying, the login is not in question. */
const TRANSPORT_CODES = new Set([
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT'
]);

/** openid-client's error → ours, with a message fit for the user. */
function mapError(err: unknown): Error {
  if (err instanceof client.ResponseBodyError) {
    if (
      err.status >= 500 ||
      err.error === 'server_error' ||
      err.error === 'temporarily_unavailable'
    ) {
      return new OidcTransportError(
        `the login server answered HTTP ${err.status} (${err.error})`
      );
    }
    return new OidcProtocolError(err.error, err.error_description, err.status);
  }
  if (err instanceof client.AuthorizationResponseError) {
    return new OidcProtocolError(err.error, err.error_description);
  }
  if (err instanceof client.WWWAuthenticateChallengeError) {
    return new OidcProtocolError(
      'invalid_client',
      'the login server refused the client',
      err.status
    );
  }
  if (err instanceof client.ClientError) {
    if (err.code && TRANSPORT_CODES.has(err.code)) {
      const status = (err.cause as { status?: unknown } | undefined)?.status;
      return new OidcTransportError(
        typeof status === 'number'
          ? `${err.message} (HTTP ${status})`
          : err.message
      );
    }
    return new OidcProtocolError('invalid_response', err.message);
  }
  if (
    err instanceof TypeError &&
    typeof (err as { code?: unknown }).code === 'string'
  ) {
    // oauth4webapi's argument checks: a bug or a bad setting, not the network.
    return new OidcProtocolError('invalid_request', err.message);
  }
  if (err instanceof TypeError) {
    // fetch() failures: "fetch failed" with the reason in `cause`.
    const cause = err.cause as
      { code?: unknown; message?: unknown } | undefined;
    const detail =
      typeof cause?.code === 'string'
        ? cause.code
        : typeof cause?.message === 'string'
          ? cause.message
          : err.message;
    return new OidcTransportError(`${err.message} (${detail})`);
  }
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new OidcTransportError('the request timed out');
  }
  return new OidcTransportError(
    err instanceof Error ? err.message : String(err)
  );
}
