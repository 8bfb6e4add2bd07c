/**
 * Sites that share one login (the same issuer and client: the sidecar gives
 * them one `loginKey`). Logging in or out of one does it for all of them,
 * so the panel names them all and shows a pending login's code once.
 */
import type { ISiteState } from '../../protocol';

/** The sites sharing `site`'s login, in panel order (`site` included). */
export function loginGroup(
  sites: readonly ISiteState[],
  site: ISiteState
): ISiteState[] {
  const group = sites.filter(s => s.loginKey === site.loginKey);
  return group.length ? group : [site];
}

/** "Central, LUMI and LEONARDO" (labels joined the way a sentence lists them). */
export function listLabels(sites: readonly ISiteState[], and: string): string {
  const labels = sites.map(s => s.label);
  return labels.length <= 1
    ? (labels[0] ?? '')
    : `${labels.slice(0, -1).join(', ')} ${and} ${labels[labels.length - 1]}`;
}
