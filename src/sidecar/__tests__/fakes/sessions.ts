/**
 * The logins of the sites, reduced to what the sites layer asks of them:
 * a state per site that the test sets, and the `LoginNeededError` a real
 * session throws when a site is not logged in.
 */
import type { LoginState } from '../../../protocol';
import { LoginNeededError, type ILoginChange } from '../../auth';
import type { ISiteSessions } from '../../sites';

export class FakeSessions implements ISiteSessions {
  readonly calls: string[] = [];
  private readonly states = new Map<string, LoginState>();
  private readonly listeners = new Set<(change: ILoginChange) => void>();

  constructor(sites: string[], state: LoginState = { status: 'not-required' }) {
    for (const site of sites) {
      this.states.set(site, state);
    }
  }

  /** Change a site's login as a session would, telling the listeners. */
  set(site: string, state: LoginState): void {
    this.states.set(site, state);
    for (const listener of this.listeners) {
      listener({ loginKey: this.loginKey(site), sites: [site], state });
    }
  }

  loginKey(site: string): string {
    return `key-${site}`;
  }

  state(site: string): LoginState {
    return this.states.get(site) ?? { status: 'logged-out' };
  }

  onChange(listener: (change: ILoginChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async authorizationHeader(site: string): Promise<string | undefined> {
    const status = this.state(site).status;
    if (status === 'not-required') {
      return undefined;
    }
    if (status !== 'logged-in') {
      throw new LoginNeededError({
        loginKey: this.loginKey(site),
        label: site,
        site,
        issuer: 'http://127.0.0.1:1'
      });
    }
    return 'Bearer fake';
  }

  async login(site: string): Promise<LoginState> {
    this.calls.push(`login ${site}`);
    return this.state(site);
  }

  cancelLogin(site: string): void {
    this.calls.push(`cancel ${site}`);
  }

  async logout(site: string): Promise<{ warnings: string[] }> {
    this.calls.push(`logout ${site}`);
    return { warnings: [] };
  }

  async completeCodeLogin(): Promise<ILoginChange> {
    throw new Error('not used by these tests');
  }
}
