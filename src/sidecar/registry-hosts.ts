/**
 * Which hosts a site registry may name: never a link-local or cloud-metadata
 * address (`169.254.169.254`, `metadata.google.internal`), unless the server
 * allows it (`--allow-link-local-hosts`, from `c.DaskSites.allow_link_local_hosts`).
 * The Jupyter server applies the same rule (`jupyter_ext_server/registry/hosts.py`);
 * both read the cases of `tests/data/host-cases.json` in their tests.
 */
import { isIPv4, isIPv6 } from 'node:net';

import type { ISiteRegistry } from '../protocol';

const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata',
  'metadata.goog'
]);
const METADATA_ADDRESSES = new Set(['100.100.100.200', 'fd00:ec2::254']);

function hostOf(url: string): string {
  let host: string;
  try {
    // `gateway://` and `tls://` parse like any URL with an authority.
    host = new URL(url).hostname;
  } catch {
    return '';
  }
  return host
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/** `::ffff:169.254.169.254` (and `::ffff:a9fe:a9fe`) as the IPv4 address it maps. */
function unmapped(host: string): string {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (dotted) {
    return dotted[1];
  }
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (hex) {
    const [a, b] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
    return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  return host;
}

/** Why `url`'s host must not be used, or undefined. */
export function hostProblem(url: string): string | undefined {
  const host = unmapped(hostOf(url));
  if (METADATA_NAMES.has(host) || METADATA_ADDRESSES.has(host)) {
    return `${host} is a cloud metadata service`;
  }
  if (isIPv4(host) && host.startsWith('169.254.')) {
    return `${host} is a link-local address (cloud metadata services live there)`;
  }
  if (isIPv6(host) && /^fe[89ab][0-9a-f]:/.test(host)) {
    return `${host} is a link-local address (cloud metadata services live there)`;
  }
  return undefined;
}

/** Every address a registry names: `[site, field, url]`. */
function addresses(registry: ISiteRegistry): [string, string, string][] {
  const found: [string, string, string][] = [];
  for (const site of registry.sites) {
    const gateway = site.gateway as unknown as { [field: string]: unknown };
    for (const field of ['address', 'proxy_address', 'public_address']) {
      if (typeof gateway[field] === 'string') {
        found.push([site.name, `gateway.${field}`, gateway[field] as string]);
      }
    }
    if (site.auth.type === 'oidc') {
      found.push([site.name, 'auth.issuer', site.auth.issuer]);
    }
    (site.data?.storage_endpoints ?? []).forEach((endpoint, i) =>
      found.push([site.name, `data.storage_endpoints.${i}`, endpoint])
    );
    const credentials = site.data?.credentials;
    if (credentials?.type === 'sts-web-identity') {
      found.push([
        site.name,
        'data.credentials.endpoint',
        credentials.endpoint
      ]);
    }
  }
  return found;
}

/** One line per refused address, naming the site and the field. */
export function hostProblems(registry: ISiteRegistry): string[] {
  const problems: string[] = [];
  for (const [site, field, url] of addresses(registry)) {
    const problem = hostProblem(url);
    if (problem) {
      problems.push(
        `site "${site}": ${field}: ${problem}; allow it with ` +
          'c.DaskSites.allow_link_local_hosts (sidecar: --allow-link-local-hosts)'
      );
    }
  }
  return problems;
}
