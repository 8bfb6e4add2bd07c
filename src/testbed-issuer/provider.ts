/**
 * The oidc-provider configuration of the testbed issuer: public clients
 * (and confidential ones, such as a hub, that post a secret) using the
 * code flow (with PKCE) and the device flow, refresh token
 * rotation, revocation, and JWT access tokens for the configured resource
 * servers (the Dask Gateways).
 */
import { randomBytes } from 'node:crypto';

import Provider, {
  errors,
  type ClientMetadata,
  type Configuration,
  type Grant,
  type KoaContextWithOIDC
} from 'oidc-provider';

import type { Accounts } from './accounts.js';
import type { MemoryStore } from './adapter.js';
import type {
  IClientConfig,
  IIssuerConfig,
  IResourceConfig
} from './config.js';
import type { IPrivateJwks } from './keys.js';
import {
  deviceConfirmPage,
  deviceInputPage,
  deviceSuccessPage,
  errorPage,
  loggedOutPage,
  logoutPage,
  type DeviceInputState
} from './pages.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Claims released per OIDC scope. */
const CLAIMS: Record<string, string[]> = {
  openid: ['sub'],
  profile: ['name', 'preferred_username'],
  email: ['email', 'email_verified'],
  groups: ['groups']
};

const AUTHORIZATION_CODE_TTL = 60;
const INTERACTION_TTL = 15 * 60;
// The grant (and browser session) bounds how long a refresh token chain
// can live; never shorter than one refresh token.
const MIN_GRANT_TTL = 14 * 24 * 3600;

export interface IProviderOptions {
  config: IIssuerConfig;
  /** Full issuer URL, e.g. http://127.0.0.1:5556/oidc. */
  issuer: string;
  jwks: IPrivateJwks;
  accounts: Accounts;
  store: MemoryStore;
}

function clientMetadata(client: IClientConfig): ClientMetadata {
  // A client without redirect URIs cannot use the code flow at all.
  const codeFlow = client.redirectUris.length > 0;
  const metadata: ClientMetadata = {
    client_id: client.clientId,
    application_type: 'web',
    token_endpoint_auth_method: client.clientSecret
      ? 'client_secret_post'
      : 'none',
    redirect_uris: [...client.redirectUris],
    response_types: codeFlow ? ['code'] : [],
    grant_types: [
      ...(codeFlow ? ['authorization_code'] : []),
      'refresh_token',
      DEVICE_CODE_GRANT
    ]
  };
  if (client.clientName !== undefined) {
    metadata.client_name = client.clientName;
  }
  if (client.clientSecret) {
    metadata.client_secret = client.clientSecret;
  }
  return metadata;
}

function html(ctx: KoaContextWithOIDC, body: string): void {
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

function clientDisplayName(ctx: KoaContextWithOIDC): string {
  const client = ctx.oidc.client;
  return client?.clientName ?? client?.clientId ?? 'your device';
}

/** Map oidc-provider's re-render errors onto the device input page's states. */
function deviceInputState(err?: Error): DeviceInputState {
  switch (err?.name) {
    case undefined:
      return 'enter';
    case 'NoCodeError':
    case 'NotFoundError':
    case 'ExpiredError':
    case 'AlreadyUsedError':
      return 'wrong-code';
    case 'AbortedError':
      return 'aborted';
    default:
      return 'error';
  }
}

/**
 * Every configured client is first-party: consent is implied. Reuse the
 * session's grant for the client (or start one) and add whatever OIDC
 * scopes, claims and resource scopes this request asks for, so that the
 * consent prompt never finds anything missing.
 */
async function loadExistingGrant(
  ctx: KoaContextWithOIDC
): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const { client, account, session } = oidc;
  if (!client || !account) {
    return undefined;
  }
  const grantId =
    oidc.result?.consent?.grantId ?? session?.grantIdFor(client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (
    !grant ||
    grant.accountId !== account.accountId ||
    grant.clientId !== client.clientId
  ) {
    grant = new oidc.provider.Grant({
      accountId: account.accountId,
      clientId: client.clientId
    });
  }
  const oidcScopes = [...oidc.requestParamOIDCScopes];
  if (oidcScopes.length > 0) {
    grant.addOIDCScope(oidcScopes.join(' '));
  }
  const claims = [...oidc.requestParamClaims];
  if (claims.length > 0) {
    grant.addOIDCClaims(claims);
  }
  const requested = [...oidc.requestParamScopes];
  for (const [indicator, server] of Object.entries(oidc.resourceServers)) {
    const scopes = requested.filter(s => server.scopes.has(s));
    if (scopes.length > 0) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  await grant.save();
  return grant;
}

export function createProvider(options: IProviderOptions): Provider {
  const { config, issuer, jwks, accounts, store } = options;
  const resources = new Map<string, IResourceConfig>(
    config.resources.map(r => [r.indicator, r])
  );
  const defaultIndicator = config.resources[0]!.indicator;
  const grantTtl = Math.max(config.refreshTokenTtlSeconds, MIN_GRANT_TTL);

  const configuration: Configuration = {
    adapter: store.factory(),
    clients: config.clients.map(clientMetadata),
    jwks: { keys: jwks.keys },
    // Fresh per process: cookies only need to outlive one sign-in.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    claims: CLAIMS,
    responseTypes: ['code'],
    // Public clients, and confidential ones (a hub) posting their secret.
    clientAuthMethods: ['none', 'client_secret_post'],
    // Resource-bound (JWT) access tokens cannot call /me, so put the
    // granted profile claims into the ID token as well.
    conformIdTokenClaims: false,
    // Real issuers (e.g. Keycloak) insist on redirect_uri; be as strict so
    // that a client that forgets it fails here too.
    allowOmittingSingleRegisteredRedirectUri: false,
    clientBasedCORS: (_ctx, origin, client) =>
      client.redirectUris.some(uri => new URL(uri).origin === origin),
    findAccount: (_ctx, sub) => accounts.findAccount(sub),
    loadExistingGrant,
    extraTokenClaims: (_ctx, token) => {
      const user =
        token.accountId !== undefined
          ? accounts.get(token.accountId)
          : undefined;
      // What gateways map to a user: name, groups and (for operators who
      // key users by it) email.
      return user
        ? {
            preferred_username: user.username,
            groups: [...user.groups],
            ...(user.email ? { email: user.email } : {})
          }
        : undefined;
    },
    // Refresh tokens without offline_access or prompt=consent: the
    // testbed's clients always want one.
    issueRefreshToken: (_ctx, client) =>
      client.grantTypeAllowed('refresh_token'),
    // Public clients cannot authenticate, so each refresh token works once.
    rotateRefreshToken: ctx => ctx.oidc.client?.clientAuthMethod === 'none',
    // Tokens belong to the grant, not to the browser session that made it
    // (a device-flow session lives in some other browser).
    expiresWithSession: () => false,
    renderError: (ctx, out) => {
      html(ctx, errorPage(out.error, out.error_description));
    },
    interactions: {
      url: (_ctx, interaction) =>
        `${config.issuerPath}/interaction/${interaction.uid}`
    },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        userCodeInputSource: (ctx, form, _out, err) => {
          html(ctx, deviceInputPage(form, deviceInputState(err)));
        },
        userCodeConfirmSource: (ctx, form, client, _deviceInfo, userCode) => {
          html(
            ctx,
            deviceConfirmPage(
              form,
              client.clientName ?? client.clientId,
              userCode
            )
          );
        },
        successSource: ctx => {
          html(ctx, deviceSuccessPage(clientDisplayName(ctx)));
        }
      },
      revocation: {
        enabled: true,
        // A public client may only revoke its own tokens.
        allowedPolicy: (_ctx, client, token) =>
          token.clientId === client.clientId
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => {
          if (!oneOf) {
            return defaultIndicator;
          }
          return oneOf.includes(defaultIndicator) ? defaultIndicator : oneOf[0];
        },
        getResourceServerInfo: (_ctx, indicator) => {
          const resource = resources.get(indicator);
          if (!resource) {
            throw new errors.InvalidTarget();
          }
          return {
            audience: resource.audience,
            scope: resource.scope,
            accessTokenTTL: config.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } }
          };
        },
        // Token requests without `resource` get a token for the granted
        // (default) resource rather than an opaque userinfo token.
        useGrantedResource: () => true
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          html(ctx, logoutPage(form, ctx.host));
        },
        postLogoutSuccessSource: ctx => {
          html(ctx, loggedOutPage());
        }
      },
      userinfo: { enabled: true }
    },
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      ClientCredentials: config.accessTokenTtlSeconds,
      IdToken: config.accessTokenTtlSeconds,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      DeviceCode: config.deviceCodeTtlSeconds,
      // Each rotated refresh token gets the full TTL again (sliding).
      RefreshToken: config.refreshTokenTtlSeconds,
      Grant: grantTtl,
      Session: grantTtl,
      Interaction: INTERACTION_TTL
    }
  };

  const provider = new Provider(issuer, configuration);
  provider.proxy = false;
  return provider;
}
