/**
 * Which issuer URLs a session may talk to.
 *
 * https always; plain http only to this machine's loopback (127.0.0.0/8,
 * ::1, localhost), the testbed's case. Only then does the session ask
 * openid-client to `allowInsecureRequests`; never for any other host.
 */
import { isIPv4 } from 'node:net';

import { AuthConfigError } from './errors';

export interface ICheckedIssuer {
  url: URL;
  allowInsecureRequests: boolean;
}

/** Check an issuer URL; throws `AuthConfigError` saying what is wrong. */
export function checkIssuerUrl(issuer: string): ICheckedIssuer {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch (err) {
    throw new AuthConfigError(`issuer "${issuer}" is not a URL`, {
      cause: err
    });
  }
  if (url.username || url.password) {
    throw new AuthConfigError(
      `issuer "${url.origin}" must not contain a user name or password`
    );
  }
  if (url.search || url.hash) {
    throw new AuthConfigError(
      `issuer "${issuer}" must not have a query or fragment`
    );
  }
  if (url.protocol === 'https:') {
    return { url, allowInsecureRequests: false };
  }
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) {
      return { url, allowInsecureRequests: true };
    }
    throw new AuthConfigError(
      `issuer "${issuer}" uses plain http: only https issuers are allowed, ` +
        'except on this machine (127.0.0.1, ::1, localhost)'
    );
  }
  throw new AuthConfigError(
    `issuer "${issuer}" must be an https URL (not ${url.protocol})`
  );
}

/** 127.0.0.0/8, ::1 or localhost (as `URL.hostname` spells them). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === 'localhost.') {
    return true;
  }
  if (host === '[::1]') {
    return true; // URL normalises every spelling of ::1 to this
  }
  return isIPv4(host) && host.split('.')[0] === '127';
}
