/**
 * Type declarations for the parts of `oidc-provider` (v9) the testbed issuer
 * uses. The package ships no types and `@types/oidc-provider` lags behind
 * v9, so this file describes only what we call, checked against the v9
 * sources (lib/provider.js, lib/helpers/defaults.js, lib/models/grant.js).
 */
declare module 'oidc-provider' {
  import type { JsonWebKey } from 'node:crypto';
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** What a storage adapter keeps per model instance. */
  export interface AdapterPayload {
    [key: string]: unknown;
    jti?: string;
    grantId?: string;
    userCode?: string;
    uid?: string;
    consumed?: number;
  }

  export interface Adapter {
    upsert(
      id: string,
      payload: AdapterPayload,
      expiresIn?: number
    ): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export type AdapterFactory = (modelName: string) => Adapter;

  export interface ClientMetadata {
    client_id: string;
    client_name?: string;
    redirect_uris?: string[];
    response_types?: string[];
    grant_types?: string[];
    token_endpoint_auth_method?: string;
    /** With `client_secret_post` (or `_basic`): the client's secret. */
    client_secret?: string;
    application_type?: 'web' | 'native';
  }

  export interface Client {
    readonly clientId: string;
    readonly clientName?: string;
    readonly clientAuthMethod: string;
    readonly redirectUris: readonly string[];
    grantTypeAllowed(grantType: string): boolean;
  }

  export interface ClaimsResult {
    sub: string;
    [claim: string]: unknown;
  }

  export interface Account {
    accountId: string;
    claims(
      use: string,
      scope: string,
      claims: Record<string, unknown>,
      rejected: string[]
    ): ClaimsResult | Promise<ClaimsResult>;
  }

  export interface Grant {
    readonly jti: string;
    accountId?: string;
    clientId?: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: readonly string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(ttl?: number): Promise<string>;
  }

  export interface GrantStatic {
    new (properties: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }

  export interface Session {
    accountId?: string;
    grantIdFor(clientId: string): string | undefined;
  }

  export interface ResourceServer {
    readonly scopes: Set<string>;
    identifier(): string;
  }

  /** What `getResourceServerInfo` returns. */
  export interface ResourceServerInfo {
    audience: string;
    scope: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg: string; kid?: string } };
  }

  export interface BaseToken {
    readonly accountId?: string;
    readonly clientId?: string;
    readonly kind: string;
  }

  export interface InteractionResults {
    login?: {
      accountId: string;
      remember?: boolean;
      acr?: string;
      amr?: string[];
    };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
  }

  export interface OIDCContext {
    readonly route: string;
    readonly client?: Client;
    readonly session?: Session;
    readonly account?: Account;
    readonly result?: InteractionResults;
    readonly requestParamOIDCScopes: Set<string>;
    readonly requestParamScopes: Set<string>;
    readonly requestParamClaims: Set<string>;
    readonly resourceServers: Record<string, ResourceServer>;
    readonly provider: Provider;
  }

  /** The Koa context oidc-provider hands to configuration callbacks. */
  export interface KoaContextWithOIDC {
    oidc: OIDCContext;
    body: unknown;
    type: string;
    status: number;
    readonly host: string;
    set(field: string, value: string): void;
  }

  export interface Interaction {
    readonly uid: string;
    readonly prompt: {
      name: string;
      reasons: string[];
      details: Record<string, unknown>;
    };
    readonly params: Record<string, unknown>;
    readonly session?: { accountId?: string; uid: string };
    readonly grantId?: string;
    readonly returnTo: string;
  }

  export interface ErrorOut {
    error: string;
    error_description?: string;
    [key: string]: unknown;
  }

  type Awaitable<T> = T | Promise<T>;
  type TTL<T> =
    number | ((ctx: KoaContextWithOIDC, token: T, client: Client) => number);

  export interface Configuration {
    adapter?: AdapterFactory;
    clients?: ClientMetadata[];
    jwks?: { keys: JsonWebKey[] };
    cookies?: {
      keys?: string[];
      long?: Record<string, unknown>;
      short?: Record<string, unknown>;
    };
    scopes?: string[];
    claims?: Record<string, string[] | null>;
    responseTypes?: string[];
    clientAuthMethods?: string[];
    conformIdTokenClaims?: boolean;
    allowOmittingSingleRegisteredRedirectUri?: boolean;
    clientBasedCORS?: (
      ctx: KoaContextWithOIDC,
      origin: string,
      client: Client
    ) => boolean;
    findAccount?: (
      ctx: KoaContextWithOIDC,
      sub: string,
      token?: BaseToken
    ) => Awaitable<Account | undefined>;
    loadExistingGrant?: (ctx: KoaContextWithOIDC) => Promise<Grant | undefined>;
    extraTokenClaims?: (
      ctx: KoaContextWithOIDC,
      token: BaseToken
    ) => Awaitable<Record<string, unknown> | undefined>;
    issueRefreshToken?: (
      ctx: KoaContextWithOIDC,
      client: Client,
      code: BaseToken
    ) => Awaitable<boolean>;
    rotateRefreshToken?: (ctx: KoaContextWithOIDC) => Awaitable<boolean>;
    expiresWithSession?: (
      ctx: KoaContextWithOIDC,
      code: BaseToken
    ) => Awaitable<boolean>;
    renderError?: (
      ctx: KoaContextWithOIDC,
      out: ErrorOut,
      error: Error
    ) => Awaitable<void>;
    interactions?: {
      url?: (
        ctx: KoaContextWithOIDC,
        interaction: Interaction
      ) => Awaitable<string>;
    };
    features?: {
      devInteractions?: { enabled: boolean };
      deviceFlow?: {
        enabled: boolean;
        charset?: 'base-20' | 'digits';
        mask?: string;
        userCodeInputSource?: (
          ctx: KoaContextWithOIDC,
          form: string,
          out?: ErrorOut,
          err?: Error & { userCode?: string }
        ) => Awaitable<void>;
        userCodeConfirmSource?: (
          ctx: KoaContextWithOIDC,
          form: string,
          client: Client,
          deviceInfo: Record<string, unknown>,
          userCode: string
        ) => Awaitable<void>;
        successSource?: (ctx: KoaContextWithOIDC) => Awaitable<void>;
      };
      revocation?: {
        enabled: boolean;
        allowedPolicy?: (
          ctx: KoaContextWithOIDC,
          client: Client,
          token: BaseToken
        ) => Awaitable<boolean>;
      };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (
          ctx: KoaContextWithOIDC,
          client: Client,
          oneOf?: string[]
        ) => Awaitable<string | string[] | undefined>;
        getResourceServerInfo?: (
          ctx: KoaContextWithOIDC,
          resourceIndicator: string,
          client: Client
        ) => Awaitable<ResourceServerInfo>;
        useGrantedResource?: (
          ctx: KoaContextWithOIDC,
          model: unknown
        ) => Awaitable<boolean>;
      };
      rpInitiatedLogout?: {
        enabled: boolean;
        logoutSource?: (
          ctx: KoaContextWithOIDC,
          form: string
        ) => Awaitable<void>;
        postLogoutSuccessSource?: (ctx: KoaContextWithOIDC) => Awaitable<void>;
      };
      userinfo?: { enabled: boolean };
    };
    ttl?: {
      AccessToken?: TTL<BaseToken>;
      AuthorizationCode?: TTL<BaseToken>;
      ClientCredentials?: TTL<BaseToken>;
      DeviceCode?: TTL<BaseToken>;
      IdToken?: TTL<BaseToken>;
      RefreshToken?: TTL<BaseToken>;
      Grant?: number | ((ctx: KoaContextWithOIDC, grant: Grant) => number);
      Interaction?:
        | number
        | ((ctx: KoaContextWithOIDC, interaction: Interaction) => number);
      Session?:
        number | ((ctx: KoaContextWithOIDC, session: Session) => number);
    };
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    proxy: boolean;
    readonly Grant: GrantStatic;
    readonly Client: { find(id: string): Promise<Client | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(
      req: IncomingMessage,
      res: ServerResponse
    ): Promise<Interaction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean }
    ): Promise<void>;
    on(
      event: 'server_error',
      listener: (ctx: KoaContextWithOIDC, err: Error) => void
    ): this;
  }
  export default Provider;

  export namespace errors {
    export class OIDCProviderError extends Error {
      error: string;
      error_description?: string;
      status: number;
      statusCode: number;
    }
    export class InvalidTarget extends OIDCProviderError {
      constructor(description?: string, detail?: string);
    }
    export class SessionNotFound extends OIDCProviderError {}
  }
}
