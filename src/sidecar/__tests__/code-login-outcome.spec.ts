/**
 * What a code-flow callback answers (src/sidecar/sites/code-login-outcome.ts):
 * logged in, on to the issuer's page, or an error when the login ended otherwise.
 */
import { CallbackError } from '../auth';
import { codeLoginOutcome } from '../sites/code-login-outcome';

const labels: Record<string, string> = { central: 'Central', lumi: 'LUMI' };
const labelOf = (site: string) => labels[site]!;
const change = (state: object) =>
  ({
    loginKey: 'k',
    sites: ['central', 'lumi'],
    state
  }) as Parameters<typeof codeLoginOutcome>[0];

describe('codeLoginOutcome', () => {
  it('logged in: the labels of every site sharing the login', () => {
    expect(
      codeLoginOutcome(
        change({ status: 'logged-in', user: 'alice', accessExpiresAt: 1 }),
        labelOf
      )
    ).toEqual({ loggedIn: ['Central', 'LUMI'] });
  });

  it('pending at the page again (a silent login that needs it): go there', () => {
    expect(
      codeLoginOutcome(
        change({
          status: 'pending',
          flow: 'code',
          authorizationUrl: 'http://issuer/auth?x=1',
          expiresAt: 1
        }),
        labelOf
      )
    ).toEqual({ continueAt: 'http://issuer/auth?x=1' });
  });

  it('logged out or replaced meanwhile: never says "logged in"', () => {
    for (const state of [
      { status: 'logged-out' },
      { status: 'login-needed', reason: 'x' },
      {
        status: 'pending',
        flow: 'device',
        userCode: 'A',
        verificationUri: 'u',
        expiresAt: 1
      }
    ]) {
      expect(() => codeLoginOutcome(change(state), labelOf)).toThrow(
        CallbackError
      );
    }
  });
});
