/**
 * The issuer's signing key: an RSA key (RS256) as a private JWKS. Kept in
 * `keys_file` when configured so that tokens (and resource servers' cached
 * JWKS) stay valid across restarts of the testbed; otherwise generated
 * afresh for each run.
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type JsonWebKey
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { ConfigError } from './config.js';

export interface IPrivateJwks {
  keys: JsonWebKey[];
}

const MIN_MODULUS_BITS = 2048;

/** RFC 7638 thumbprint: a stable, content-derived key id. */
function thumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generateSigningKey(): JsonWebKey {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: MIN_MODULUS_BITS
  });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: thumbprint(jwk), alg: 'RS256', use: 'sig' };
}

function checkJwks(value: unknown, path: string): IPrivateJwks {
  const field = 'keys_file';
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError(field, `${path} holds no "keys" array`);
  }
  let hasRsa = false;
  keys.forEach((jwk: unknown, i) => {
    const key = jwk as JsonWebKey;
    if (typeof key !== 'object' || key === null || typeof key.d !== 'string') {
      throw new ConfigError(field, `${path}: keys[${i}] is not a private JWK`);
    }
    if (typeof key.kid !== 'string' || key.kid === '') {
      throw new ConfigError(field, `${path}: keys[${i}] has no "kid"`);
    }
    let parsed;
    try {
      parsed = createPrivateKey({ key, format: 'jwk' });
    } catch (err) {
      throw new ConfigError(
        field,
        `${path}: keys[${i}] is not a usable key: ${(err as Error).message}`
      );
    }
    if (parsed.asymmetricKeyType === 'rsa') {
      const bits = parsed.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < MIN_MODULUS_BITS) {
        throw new ConfigError(
          field,
          `${path}: keys[${i}] is a ${bits}-bit RSA key; at least ${MIN_MODULUS_BITS} bits are needed`
        );
      }
      hasRsa = true;
    }
  });
  if (!hasRsa) {
    throw new ConfigError(field, `${path} holds no RSA key for RS256`);
  }
  return { keys: keys as JsonWebKey[] };
}

/** The JWKS in `path`, or undefined when the file does not exist. */
function readKeysFile(path: string): IPrivateJwks | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw new ConfigError(
      'keys_file',
      `cannot read ${path}: ${(err as Error).message}`
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      'keys_file',
      `${path} is not valid JSON: ${(err as Error).message}`
    );
  }
  return checkJwks(value, path);
}

/** Write a new keys file; false if another process created it first. */
function createKeysFile(path: string, jwks: IPrivateJwks): boolean {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a file another process created meanwhile.
    writeFileSync(path, `${JSON.stringify(jwks, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx'
    });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw new ConfigError(
      'keys_file',
      `cannot write ${path}: ${(err as Error).message}`
    );
  }
}

/**
 * Load the private JWKS from `path`, or create it (mode 0600, parent
 * directories 0700) when it does not exist. Without a path, generate a key
 * that lives as long as the process.
 */
export function loadOrCreateSigningKeys(path?: string): IPrivateJwks {
  if (path === undefined) {
    return { keys: [generateSigningKey()] };
  }
  const existing = readKeysFile(path);
  if (existing) {
    return existing;
  }
  const jwks: IPrivateJwks = { keys: [generateSigningKey()] };
  if (createKeysFile(path, jwks)) {
    return jwks;
  }
  const theirs = readKeysFile(path);
  if (!theirs) {
    throw new ConfigError('keys_file', `${path} vanished while being created`);
  }
  return theirs;
}
