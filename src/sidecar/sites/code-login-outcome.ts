/**
 * What a code-flow callback comes to, from the login state it left: the
 * sites now logged in, the issuer's page where a silent login goes on, or
 * an error when the login ended otherwise (logged out or replaced meanwhile).
 */
import { CallbackError, type ILoginChange } from '../auth';

export type CodeLoginOutcome =
  /** The labels of the sites now logged in. */
  | { loggedIn: string[] }
  /** A silent login the issuer could not answer without its page: that page. */
  | { continueAt: string };

export function codeLoginOutcome(
  change: ILoginChange,
  labelOf: (site: string) => string
): CodeLoginOutcome {
  const { state } = change;
  if (state.status === 'pending' && state.flow === 'code') {
    return { continueAt: state.authorizationUrl };
  }
  if (state.status !== 'logged-in') {
    throw new CallbackError(
      'This login was cancelled or replaced before it finished; start it again from the Dask Sites panel'
    );
  }
  return { loggedIn: change.sites.map(labelOf) };
}
