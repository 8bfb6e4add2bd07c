import {
  OidcProtocolError,
  type DevicePollResult,
  type IClock,
  type IDeviceAuthorization,
  type IOidcClient,
  type IOidcConnectOptions,
  type IOidcConnector,
  type IResourceParams,
  type ITokenResponse
} from '../../auth';

/**
 * A fake issuer: rotating refresh tokens (reuse is refused), recorded
 * calls, and hooks to make any call fail or hang. Every token contains
 * "SECRET" so leaks are easy to find.
 */
export class FakeIssuer implements IOidcConnector, IOidcClient {
  supportsDeviceFlow = true;
  supportsRevocation = true;
  connects: IOidcConnectOptions[] = [];
  log: string[] = [];
  polls: { at: number; deviceCode: string; params: IResourceParams }[] = [];
  deviceRequests: ({ scope: string } & IResourceParams)[] = [];
  refreshes: { token: string; params: IResourceParams; at: number }[] = [];
  exchanges: { url: URL; checks: unknown; params: IResourceParams }[] = [];
  revoked: [string, string][] = [];
  /** Next poll answers; empty = pending. */
  pollQueue: (DevicePollResult | Error | 'approve')[] = [];
  device: IDeviceAuthorization = {
    deviceCode: 'device-code-SECRET',
    userCode: 'ABCD-EFGH',
    verificationUri: 'http://127.0.0.1:9000/device',
    verificationUriComplete: 'http://127.0.0.1:9000/device?user_code=ABCD-EFGH',
    expiresIn: 600
  };
  expiresIn = 300;
  user = 'alice';
  /** Override the refresh answer once (a value, an error or a promise). */
  refreshHook?: (
    token: string,
    params: IResourceParams
  ) => Promise<ITokenResponse> | undefined;
  revokeError?: Error;
  connectError?: Error;

  readonly #clock: IClock;
  #serial = 0;
  #validRefresh = new Set<string>();

  /** `clock` stamps the recorded polls and refreshes. */
  constructor(clock: IClock) {
    this.#clock = clock;
  }

  async connect(options: IOidcConnectOptions): Promise<IOidcClient> {
    this.connects.push(options);
    if (this.connectError) {
      throw this.connectError;
    }
    return this;
  }

  issue(resource?: string | string[]): ITokenResponse {
    const n = ++this.#serial;
    const refreshToken = `refresh-SECRET-${n}`;
    this.#validRefresh.add(refreshToken);
    return {
      accessToken: `access-SECRET-${n}${resource ? `-${resource}` : ''}`,
      refreshToken,
      expiresIn: this.expiresIn,
      idClaims: { sub: `sub-${this.user}`, preferred_username: this.user }
    };
  }

  /** Make the refresh token known as valid (e.g. a stored one). */
  accept(refreshToken: string): void {
    this.#validRefresh.add(refreshToken);
  }

  async startDeviceAuthorization(
    params: { scope: string } & IResourceParams
  ): Promise<IDeviceAuthorization> {
    this.deviceRequests.push(params);
    return { ...this.device };
  }

  async pollDeviceAuthorization(
    deviceCode: string,
    params: IResourceParams
  ): Promise<DevicePollResult> {
    this.polls.push({ at: this.#clock.now(), deviceCode, params });
    const next = this.pollQueue.shift();
    if (next === undefined) {
      return { status: 'pending' };
    }
    if (next === 'approve') {
      return { status: 'tokens', tokens: this.issue(params.resource) };
    }
    if (next instanceof Error) {
      throw next;
    }
    return next;
  }

  randomState(): string {
    return `state-${++this.#serial}`;
  }

  randomPkceVerifier(): string {
    return `verifier-SECRET-${++this.#serial}`;
  }

  async pkceChallenge(verifier: string): Promise<string> {
    return `challenge(${verifier.length})`;
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
    const url = new URL('http://127.0.0.1:9000/auth');
    if (params.prompt) {
      url.searchParams.set('prompt', params.prompt);
    }
    url.searchParams.set('redirect_uri', params.redirectUri);
    url.searchParams.set('scope', params.scope);
    url.searchParams.set('state', params.state);
    url.searchParams.set('code_challenge', params.codeChallenge);
    for (const r of [params.resource ?? []].flat()) {
      url.searchParams.append('resource', r);
    }
    return url;
  }

  async exchangeCode(
    url: URL,
    checks: { expectedState: string; pkceCodeVerifier: string },
    params: IResourceParams
  ): Promise<ITokenResponse> {
    this.exchanges.push({ url, checks, params });
    if (url.searchParams.get('code') !== 'good-code') {
      throw new OidcProtocolError('invalid_grant', 'bad code');
    }
    return this.issue(params.resource);
  }

  async refresh(
    refreshToken: string,
    params: IResourceParams
  ): Promise<ITokenResponse> {
    this.refreshes.push({ token: refreshToken, params, at: this.#clock.now() });
    const hooked = this.refreshHook?.(refreshToken, params);
    if (hooked) {
      return hooked;
    }
    if (!this.#validRefresh.has(refreshToken)) {
      throw new OidcProtocolError('invalid_grant', 'grant request is invalid');
    }
    this.#validRefresh.delete(refreshToken); // rotation
    return this.issue(params.resource);
  }

  async revoke(token: string, hint: string): Promise<void> {
    this.log.push(`revoke ${hint}`);
    if (this.revokeError) {
      throw this.revokeError;
    }
    this.revoked.push([token, hint]);
    this.#validRefresh.delete(token);
  }
}
