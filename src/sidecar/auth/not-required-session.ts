/**
 * Sessions of sites without a login of their own: `auth.type` `none` (no
 * header) and `jupyterhub` (the user's `JUPYTERHUB_API_TOKEN`, sent as
 * `Authorization: jupyterhub ...`, the scheme dask-gateway's
 * `JupyterHubAuthenticator` reads). Their state is always `not-required`.
 */
import type { LoginState } from '../../protocol';

import { AuthConfigError } from './errors';
import {
  StateListeners,
  type IAuthorizationOptions,
  type ILogoutResult,
  type ISession,
  type ISessionSummary
} from './session-types';

export class NotRequiredSession implements ISession {
  readonly loginKey: string;
  readonly kind: 'none' | 'jupyterhub';
  readonly #env: { [name: string]: string | undefined };
  readonly #listeners = new StateListeners();

  constructor(options: {
    kind: 'none' | 'jupyterhub';
    loginKey: string;
    /** Where `JUPYTERHUB_API_TOKEN` is read, at each call; `process.env`. */
    env?: { [name: string]: string | undefined };
  }) {
    this.kind = options.kind;
    this.loginKey = options.loginKey;
    this.#env = options.env ?? process.env;
  }

  get state(): LoginState {
    return { status: 'not-required' };
  }

  onChange(listener: (state: LoginState) => void): () => void {
    return this.#listeners.add(listener);
  }

  async authorizationHeader(
    options: IAuthorizationOptions = {}
  ): Promise<string | undefined> {
    if (this.kind === 'none') {
      return undefined;
    }
    const token = this.#env.JUPYTERHUB_API_TOKEN;
    if (!token) {
      const who = options.site ? `${options.site.label} uses` : 'a site uses';
      throw new AuthConfigError(
        `${who} JupyterHub authentication, but JUPYTERHUB_API_TOKEN is not ` +
          'set in the Jupyter server environment (is it running under JupyterHub?)'
      );
    }
    return `jupyterhub ${token}`;
  }

  async login(): Promise<LoginState> {
    return this.state;
  }

  async settled(): Promise<LoginState> {
    return this.state;
  }

  cancelLogin(): void {
    // nothing to cancel
  }

  async logout(): Promise<ILogoutResult> {
    return { warnings: [] };
  }

  async restore(): Promise<LoginState> {
    return this.state;
  }

  dispose(): void {
    // nothing to stop
  }

  toJSON(): ISessionSummary {
    return { loginKey: this.loginKey, kind: this.kind, state: this.state };
  }
}
