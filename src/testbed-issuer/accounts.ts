/**
 * The testbed's users, straight from the config file. The account id (the
 * token `sub`) is the username, so tests can predict it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import type { Account, ClaimsResult } from 'oidc-provider';

import type { IUserConfig } from './config.js';

/** Equal-length digests let timingSafeEqual compare inputs of any length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class Accounts {
  readonly #users: ReadonlyMap<string, IUserConfig>;
  // Compared against when the username is unknown, so that the time taken
  // does not tell whether a user exists.
  readonly #dummyPassword = digest('\u0000no-such-user\u0000');

  constructor(users: readonly IUserConfig[]) {
    this.#users = new Map(users.map(u => [u.username, u]));
  }

  get usernames(): string[] {
    return [...this.#users.keys()];
  }

  get(username: string): IUserConfig | undefined {
    return this.#users.get(username);
  }

  /** The username on success, undefined on any mismatch. */
  verifyPassword(username: string, password: string): string | undefined {
    const user = this.#users.get(username);
    const expected = user ? digest(user.password) : this.#dummyPassword;
    const matches = timingSafeEqual(digest(password), expected);
    return user && matches ? user.username : undefined;
  }

  /** OIDC claims; oidc-provider filters them by the granted scopes. */
  claims(username: string): ClaimsResult | undefined {
    const user = this.#users.get(username);
    if (!user) {
      return undefined;
    }
    const claims: ClaimsResult = {
      sub: user.username,
      name: user.name,
      preferred_username: user.username,
      groups: [...user.groups]
    };
    if (user.email !== undefined) {
      // Configured by the testbed operator, hence known to be correct.
      claims.email = user.email;
      claims.email_verified = true;
    }
    return claims;
  }

  /** The shape oidc-provider's findAccount must return. */
  findAccount(username: string): Account | undefined {
    const claims = this.claims(username);
    if (!claims) {
      return undefined;
    }
    return { accountId: username, claims: () => ({ ...claims }) };
  }
}
