/**
 * Login sessions of the sidecar: OIDC per issuer + client id (device flow
 * or code flow with PKCE, early single-flight refresh, revocation), and
 * JupyterHub / no auth.
 *
 * The real OIDC connector is NOT exported here: import
 * `OpenidClientConnector` from `./auth/openid-client-connector` (it pulls in the
 * ESM-only `openid-client`, which the jest tests cannot load).
 */
export { systemClock, type IClock } from './clock';
export {
  AuthConfigError,
  AuthError,
  CallbackError,
  IssuerUnreachableError,
  LoginFailedError,
  LoginNeededError
} from './errors';
export {
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
export {
  checkIssuerUrl,
  isLoopbackHost,
  type ICheckedIssuer
} from './issuer-url';
export { NotRequiredSession } from './not-required-session';
export {
  OidcSession,
  type IOidcSessionConfig,
  type IOidcSessionDeps
} from './oidc-session';
export {
  MemoryRefreshTokenStore,
  type IRefreshTokenStore
} from './refresh-store';
export {
  DEFAULT_SCOPES,
  SessionManager,
  loginKeyOf,
  type ILoginChange,
  type ISessionManagerOptions
} from './session-manager';
export type {
  IAuthLogger,
  IAuthorizationOptions,
  ILoginOptions,
  ILogoutResult,
  ISession,
  ISessionSummary,
  ISiteRef,
  SessionKind
} from './session-types';
export { DEFAULT_TIMING, type ISessionTiming } from './token-policy';
