/**
 * Why an action cannot be used right now, in words for a tooltip. Buttons
 * are never dead: they work, or they are disabled and say why.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { IClusterInfo, ISiteState } from '../../protocol';

/** Can the user manage this site's clusters? `undefined` when yes, else why not. */
export function whyNoClusters(
  site: ISiteState,
  trans: TranslationBundle
): string | undefined {
  if (site.reachability.status === 'down') {
    return trans.__(
      '%1 cannot be reached: %2',
      site.label,
      site.reachability.error ?? trans.__('no answer')
    );
  }
  switch (site.login.status) {
    case 'logged-in':
    case 'not-required':
      return undefined;
    case 'pending':
      return trans.__('Finish logging in to %1 first', site.label);
    default:
      return trans.__('Log in to %1 first', site.label);
  }
}

/** Can this cluster take scale, adapt and dashboard actions? */
export function whyNotRunning(
  cluster: IClusterInfo,
  trans: TranslationBundle
): string | undefined {
  switch (cluster.status) {
    case 'RUNNING':
      return undefined;
    case 'PENDING':
      return trans.__('The cluster is still starting');
    case 'STOPPING':
      return trans.__('The cluster is stopping');
    default:
      return trans.__('The cluster is not running (%1)', cluster.status);
  }
}

/** A login is something the user can start: not while one is pending or needed none. */
export function canLogIn(site: ISiteState): boolean {
  return (
    site.login.status === 'logged-out' || site.login.status === 'login-needed'
  );
}
