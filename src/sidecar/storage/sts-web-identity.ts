/**
 * One call of AWS STS `AssumeRoleWithWebIdentity`: the user's access token
 * for a site in, short-lived object-store keys out. AWS, Ceph RGW and MinIO
 * answer it the same way. The call is unsigned (the token is the proof), a
 * form POST, and the answer is XML.
 */
import { XMLParser } from 'fast-xml-parser';

import { quoted } from '../errors';
import { StorageCredentialsError } from './errors';

export interface IStsRequest {
  /** The STS endpoint (http or https). */
  endpoint: string;
  role: string;
  /** The user's access token for the site (a JWT). */
  webIdentityToken: string;
  durationSeconds: number;
  /** Names the session in the store's logs; letters, digits and `+=,.@-`. */
  sessionName: string;
  /** For messages: the site's label. */
  label: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface IStsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** Longest answer read: a real one is about 1.5 kB. */
const MAX_ANSWER_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

const parser = new XMLParser({
  // Values stay text: a secret of digits must not become a number.
  parseTagValue: false,
  ignoreAttributes: true,
  processEntities: false
});

export async function assumeRoleWithWebIdentity(
  request: IStsRequest
): Promise<IStsKeys> {
  const body = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: request.role,
    RoleSessionName: request.sessionName,
    WebIdentityToken: request.webIdentityToken,
    DurationSeconds: String(request.durationSeconds)
  });
  const fetchImpl = request.fetch ?? fetch;
  let status: number;
  let text: string;
  try {
    const response = await fetchImpl(request.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(request.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    });
    status = response.status;
    text = await response.text();
  } catch (err) {
    throw new StorageCredentialsError(
      'storage-unreachable',
      `${request.label}: the object store's STS at ${request.endpoint} did not answer ` +
        `(${errorName(err)}). Try again; if it persists, the site's storage is down.`,
      { cause: err }
    );
  }
  if (text.length > MAX_ANSWER_BYTES) {
    throw unreadable(request, `an answer of ${text.length} bytes`);
  }
  const answer = parse(text);
  if (status >= 200 && status < 300) {
    return keysOf(answer, request);
  }
  throw refusal(answer, status, request);
}

function parse(text: string): unknown {
  try {
    return parser.parse(text);
  } catch {
    return undefined;
  }
}

function keysOf(answer: unknown, request: IStsRequest): IStsKeys {
  const credentials = dig(answer, [
    'AssumeRoleWithWebIdentityResponse',
    'AssumeRoleWithWebIdentityResult',
    'Credentials'
  ]);
  const field = (name: string): string => {
    const value = dig(credentials, [name]);
    if (typeof value !== 'string' || !value.trim()) {
      throw unreadable(request, `no ${name} in its answer`);
    }
    return value.trim();
  };
  const expiration = new Date(field('Expiration'));
  if (Number.isNaN(expiration.getTime())) {
    throw unreadable(request, 'an Expiration that is not a date');
  }
  return {
    accessKeyId: field('AccessKeyId'),
    secretAccessKey: field('SecretAccessKey'),
    sessionToken: field('SessionToken'),
    expiration
  };
}

/** The STS's own words (code and message), which are meant for the user. */
function refusal(
  answer: unknown,
  status: number,
  request: IStsRequest
): StorageCredentialsError {
  const error = dig(answer, ['ErrorResponse', 'Error']);
  const code = dig(error, ['Code']);
  const message = dig(error, ['Message']);
  if (typeof code !== 'string') {
    return status >= 500
      ? new StorageCredentialsError(
          'storage-unreachable',
          `${request.label}: the object store's STS failed (HTTP ${status}). Try again later.`
        )
      : unreadable(request, `HTTP ${status} without an STS error`);
  }
  const said = typeof message === 'string' ? `: ${quoted(message, 200)}` : '';
  return new StorageCredentialsError(
    status >= 500 ? 'storage-unreachable' : 'storage-credentials-refused',
    `${request.label}: the object store refused keys for this login ` +
      `(${quoted(code)}${said}). ` +
      (code.includes('Expired') || code.includes('InvalidIdentityToken')
        ? 'Log in again.'
        : `Ask the site whether your account may assume ${request.role}.`)
  );
}

function unreadable(
  request: IStsRequest,
  what: string
): StorageCredentialsError {
  return new StorageCredentialsError(
    'storage-unreachable',
    `${request.label}: the object store's STS at ${request.endpoint} answered with ${what}; ` +
      'is data.credentials.endpoint an STS endpoint?'
  );
}

function dig(value: unknown, path: string[]): unknown {
  let here = value;
  for (const key of path) {
    if (typeof here !== 'object' || here === null) {
      return undefined;
    }
    here = (here as { [key: string]: unknown })[key];
  }
  return here;
}

function errorName(err: unknown): string {
  if (err instanceof Error) {
    return err.name === 'TimeoutError' ? 'timed out' : err.message || err.name;
  }
  return 'failed';
}
