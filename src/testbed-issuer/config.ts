/**
 * The issuer's JSON configuration file: its typed form, loading and
 * validation. Every problem is reported as a ConfigError that names the
 * offending field (e.g. `clients[0].redirect_uris[1]`), so a test harness
 * that wrote a bad file sees at once what to fix.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

export interface IClientConfig {
  clientId: string;
  /** Shown on the login page; defaults to the client id. */
  clientName?: string;
  /** May be empty: such a client can only use the device flow. */
  redirectUris: string[];
  /**
   * A confidential client (e.g. a JupyterHub) authenticates at the token
   * endpoint with this secret in the request body (`client_secret_post`,
   * oauthenticator's default); without it the client is public.
   */
  clientSecret?: string;
}

/** Shorter secrets are refused: a confidential client's secret is a key. */
export const MIN_CLIENT_SECRET_LENGTH = 16;

export interface IResourceConfig {
  /** Resource indicator (RFC 8707), an absolute URI. */
  indicator: string;
  /** `aud` of the JWT access tokens issued for this resource. */
  audience: string;
  /** Space-separated scopes the resource server knows. */
  scope: string;
}

export interface IUserConfig {
  username: string;
  password: string;
  name: string;
  email?: string;
  groups: string[];
}

export interface IIssuerConfig {
  host: string;
  port: number;
  /** "" or a path like "/oidc" (no trailing slash). */
  issuerPath: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  deviceCodeTtlSeconds: number;
  clients: IClientConfig[];
  /** Never empty; the first entry is the default resource. */
  resources: IResourceConfig[];
  users: IUserConfig[];
  /** Absolute path, resolved against the config file's directory. */
  keysFile?: string;
}

/** Scopes the issuer defines itself; resource scopes must not reuse them. */
export const OIDC_SCOPES = [
  'openid',
  'offline_access',
  'profile',
  'email',
  'groups'
] as const;

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    problem: string
  ) {
    super(field ? `${field}: ${problem}` : problem);
    this.name = 'ConfigError';
  }
}

const TOP_LEVEL_FIELDS = new Set([
  'host',
  'port',
  'issuer_path',
  'access_token_ttl_seconds',
  'refresh_token_ttl_seconds',
  'device_code_ttl_seconds',
  'clients',
  'resources',
  'users',
  'keys_file'
]);

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, field: string): JsonObject {
  if (!isObject(value)) {
    throw new ConfigError(field, 'must be a JSON object');
  }
  return value;
}

/** Reject unknown keys so that typos do not pass silently. */
function onlyKnownKeys(
  value: JsonObject,
  known: ReadonlySet<string>,
  prefix: string
): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      throw new ConfigError(
        prefix ? `${prefix}.${key}` : key,
        `unknown field (expected one of: ${[...known].join(', ')})`
      );
    }
  }
}

function string(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(field, 'must be a non-empty string');
  }
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : string(value, field);
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(field, 'must be a positive integer (seconds)');
  }
  return value;
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) {
    throw new ConfigError(field, 'must be a JSON array');
  }
  return value;
}

function isAbsoluteUri(value: string): boolean {
  try {
    return new URL(value).protocol !== '';
  } catch {
    return false;
  }
}

function redirectUri(value: unknown, field: string): string {
  const uri = string(value, field);
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new ConfigError(field, 'must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(field, 'must be an absolute http(s) URL');
  }
  if (parsed.hash !== '' || uri.includes('#')) {
    throw new ConfigError(field, 'must not contain a fragment');
  }
  return uri;
}

function unique<T>(
  items: T[],
  key: (item: T) => string,
  field: (index: number) => string
): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const k = key(item);
    if (seen.has(k)) {
      throw new ConfigError(field(index), `duplicate value "${k}"`);
    }
    seen.add(k);
  });
}

// Wildcard addresses would make the issuer reachable from other hosts and
// give no usable issuer URL; the testbed only ever needs loopback.
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '*']);

function parseHost(value: unknown): string {
  const host = string(value, 'host');
  if (WILDCARD_HOSTS.has(host)) {
    throw new ConfigError(
      'host',
      'must be a concrete address such as 127.0.0.1, not a wildcard'
    );
  }
  if (/[\s/?#@]/.test(host)) {
    throw new ConfigError('host', 'must be a host name or IP address');
  }
  return host;
}

function parsePort(value: unknown): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > 65535
  ) {
    throw new ConfigError('port', 'must be an integer from 0 to 65535');
  }
  return value;
}

function parseIssuerPath(value: unknown): string {
  if (value === undefined || value === '') {
    return '';
  }
  if (typeof value !== 'string' || !/^(\/[A-Za-z0-9._~-]+)+$/.test(value)) {
    throw new ConfigError(
      'issuer_path',
      'must be "" or a path like "/oidc" (no trailing slash, query or fragment)'
    );
  }
  return value;
}

const CLIENT_FIELDS = new Set([
  'client_id',
  'client_name',
  'client_secret',
  'redirect_uris'
]);

function parseClient(value: unknown, field: string): IClientConfig {
  const raw = object(value, field);
  onlyKnownKeys(raw, CLIENT_FIELDS, field);
  const redirectUris = array(
    raw.redirect_uris ?? [],
    `${field}.redirect_uris`
  ).map((uri, i) => redirectUri(uri, `${field}.redirect_uris[${i}]`));
  const client: IClientConfig = {
    clientId: string(raw.client_id, `${field}.client_id`),
    redirectUris
  };
  const clientName = optionalString(raw.client_name, `${field}.client_name`);
  if (clientName !== undefined) {
    client.clientName = clientName;
  }
  const secret = optionalString(raw.client_secret, `${field}.client_secret`);
  if (secret !== undefined) {
    if (secret.length < MIN_CLIENT_SECRET_LENGTH) {
      throw new ConfigError(
        `${field}.client_secret`,
        `must be at least ${MIN_CLIENT_SECRET_LENGTH} characters`
      );
    }
    client.clientSecret = secret;
  }
  return client;
}

const RESOURCE_FIELDS = new Set(['indicator', 'audience', 'scope']);
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function parseResource(value: unknown, field: string): IResourceConfig {
  const raw = object(value, field);
  onlyKnownKeys(raw, RESOURCE_FIELDS, field);
  const indicator = string(raw.indicator, `${field}.indicator`);
  if (!isAbsoluteUri(indicator) || indicator.includes('#')) {
    throw new ConfigError(
      `${field}.indicator`,
      'must be an absolute URI without a fragment (RFC 8707)'
    );
  }
  const scope = string(raw.scope, `${field}.scope`).trim();
  for (const token of scope.split(/\s+/)) {
    if (!SCOPE_TOKEN.test(token)) {
      throw new ConfigError(`${field}.scope`, `invalid scope token "${token}"`);
    }
    if ((OIDC_SCOPES as readonly string[]).includes(token)) {
      throw new ConfigError(
        `${field}.scope`,
        `"${token}" is an OpenID Connect scope of the issuer itself`
      );
    }
  }
  return {
    indicator,
    audience: string(raw.audience, `${field}.audience`),
    scope: scope.split(/\s+/).join(' ')
  };
}

const USER_FIELDS = new Set([
  'username',
  'password',
  'name',
  'email',
  'groups'
]);

function parseUser(value: unknown, field: string): IUserConfig {
  const raw = object(value, field);
  onlyKnownKeys(raw, USER_FIELDS, field);
  const username = string(raw.username, `${field}.username`);
  if (!/^[A-Za-z0-9._@-]+$/.test(username)) {
    throw new ConfigError(
      `${field}.username`,
      'may only contain letters, digits and . _ @ -'
    );
  }
  if (typeof raw.password !== 'string' || raw.password === '') {
    throw new ConfigError(`${field}.password`, 'must be a non-empty string');
  }
  const email = optionalString(raw.email, `${field}.email`);
  if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new ConfigError(`${field}.email`, 'must be an e-mail address');
  }
  const groups = array(raw.groups ?? [], `${field}.groups`).map((g, i) =>
    string(g, `${field}.groups[${i}]`)
  );
  const user: IUserConfig = {
    username,
    password: raw.password,
    name: optionalString(raw.name, `${field}.name`) ?? username,
    groups
  };
  if (email !== undefined) {
    user.email = email;
  }
  return user;
}

/** Validate a parsed JSON document; relative paths resolve against baseDir. */
export function parseConfig(value: unknown, baseDir: string): IIssuerConfig {
  const raw = object(value, '');
  onlyKnownKeys(raw, TOP_LEVEL_FIELDS, '');

  const clients = array(raw.clients, 'clients').map((c, i) =>
    parseClient(c, `clients[${i}]`)
  );
  if (clients.length === 0) {
    throw new ConfigError('clients', 'must list at least one client');
  }
  unique(
    clients,
    c => c.clientId,
    i => `clients[${i}].client_id`
  );

  const resources = array(raw.resources, 'resources').map((r, i) =>
    parseResource(r, `resources[${i}]`)
  );
  if (resources.length === 0) {
    throw new ConfigError(
      'resources',
      'must list at least one resource (the first is the default)'
    );
  }
  unique(
    resources,
    r => r.indicator,
    i => `resources[${i}].indicator`
  );

  const users = array(raw.users, 'users').map((u, i) =>
    parseUser(u, `users[${i}]`)
  );
  if (users.length === 0) {
    throw new ConfigError('users', 'must list at least one user');
  }
  unique(
    users,
    u => u.username,
    i => `users[${i}].username`
  );

  const config: IIssuerConfig = {
    host: parseHost(raw.host),
    port: parsePort(raw.port),
    issuerPath: parseIssuerPath(raw.issuer_path),
    accessTokenTtlSeconds: positiveInteger(
      raw.access_token_ttl_seconds,
      'access_token_ttl_seconds'
    ),
    refreshTokenTtlSeconds: positiveInteger(
      raw.refresh_token_ttl_seconds,
      'refresh_token_ttl_seconds'
    ),
    deviceCodeTtlSeconds: positiveInteger(
      raw.device_code_ttl_seconds,
      'device_code_ttl_seconds'
    ),
    clients,
    resources,
    users
  };
  const keysFile = optionalString(raw.keys_file, 'keys_file');
  if (keysFile !== undefined) {
    config.keysFile = isAbsolute(keysFile)
      ? keysFile
      : resolve(baseDir, keysFile);
  }
  return config;
}

/** Read and validate the config file; every failure is a ConfigError. */
export function loadConfigFile(path: string): IIssuerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      '',
      `cannot read config file ${path}: ${(err as Error).message}`
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      '',
      `config file ${path} is not valid JSON: ${(err as Error).message}`
    );
  }
  return parseConfig(value, dirname(resolve(path)));
}
