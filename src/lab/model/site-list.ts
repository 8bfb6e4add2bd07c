/**
 * Pure updates of the panel's list of sites: each returns a new list (the
 * model's state is immutable, so React sees every change).
 */
import {
  applySitePatch,
  type IClusterInfo,
  type ISiteState,
  type LoginState
} from '../../protocol';

/** The list with `state` in place of the site of that name (added if new). */
export function withSite(
  sites: readonly ISiteState[],
  state: ISiteState
): ISiteState[] {
  return sites.some(s => s.name === state.name)
    ? sites.map(s => (s.name === state.name ? state : s))
    : [...sites, state];
}

/** Sites sharing the login key share the login state. */
export function withLogin(
  sites: readonly ISiteState[],
  site: string,
  login: LoginState
): ISiteState[] {
  const key = sites.find(s => s.name === site)?.loginKey;
  return sites.map(s =>
    s.name === site || (key !== undefined && s.loginKey === key)
      ? { ...s, login }
      : s
  );
}

/** The list with a site's cluster replaced or added (unchanged for an unknown site). */
export function withCluster(
  sites: readonly ISiteState[],
  site: string,
  info: IClusterInfo
): readonly ISiteState[] {
  const state = sites.find(s => s.name === site);
  // Replaced in place or added last: what a live patch does.
  return state
    ? withSite(sites, applySitePatch(state, { name: site, clusters: [info] }))
    : sites;
}

/** The list with some fields of a known cluster changed. */
export function withClusterPatch(
  sites: readonly ISiteState[],
  site: string,
  cluster: string,
  patch: Partial<IClusterInfo>
): readonly ISiteState[] {
  const info = sites
    .find(s => s.name === site)
    ?.clusters.find(c => c.name === cluster);
  return info ? withCluster(sites, site, { ...info, ...patch }) : sites;
}
