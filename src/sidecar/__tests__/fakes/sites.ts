/** Site registry entries for tests: sites of the fake issuer, sites without a login; the sidecar's callback. */
import type { ISiteConfig } from '../../../protocol';

export const ISSUER = 'http://127.0.0.1:9000';
export const CALLBACK = 'http://127.0.0.1:8888/dask-sites/oidc/callback';

/** An OIDC site of the fake issuer; `auth` overrides its settings. */
export function site(
  name: string,
  auth: Partial<Extract<ISiteConfig['auth'], { type: 'oidc' }>> = {}
): ISiteConfig {
  return {
    name,
    label: `${name[0].toUpperCase()}${name.slice(1)} site`,
    gateway: { address: `http://127.0.0.1:80${name.length}` },
    auth: {
      type: 'oidc',
      issuer: ISSUER,
      client_id: 'dask-sites',
      ...auth
    }
  };
}

/** A site that needs no login (`auth: none`), with a cluster default. */
export function openSite(name: string): ISiteConfig {
  return {
    name,
    label: name[0].toUpperCase() + name.slice(1),
    gateway: { address: `http://127.0.0.1:1/${name}` },
    auth: { type: 'none' },
    cluster_defaults: { worker_cores: 1 }
  };
}
