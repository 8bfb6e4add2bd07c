/**
 * Where refresh tokens survive a sidecar restart (only for sites whose auth
 * allows it: `persist_refresh_token: true`). The file-backed store lives
 * elsewhere; the sessions see only this interface.
 */

export interface IRefreshTokenStore {
  /** The stored refresh token of a login key, if any. */
  load(key: string): Promise<string | undefined>;
  /** Store a refresh token, or delete it with `undefined`. */
  save(key: string, token: string | undefined): Promise<void>;
}

/** A store that keeps nothing across restarts (tests, no persistence). */
export class MemoryRefreshTokenStore implements IRefreshTokenStore {
  readonly #tokens = new Map<string, string>();

  async load(key: string): Promise<string | undefined> {
    return this.#tokens.get(key);
  }

  async save(key: string, token: string | undefined): Promise<void> {
    if (token === undefined) {
      this.#tokens.delete(key);
    } else {
      this.#tokens.set(key, token);
    }
  }

  /** Keys that hold a token (never the tokens). */
  keys(): string[] {
    return [...this.#tokens.keys()];
  }

  toJSON(): { keys: string[] } {
    return { keys: this.keys() };
  }
}
