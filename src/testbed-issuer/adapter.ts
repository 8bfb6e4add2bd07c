/**
 * In-memory storage for oidc-provider's models (sessions, grants, codes,
 * refresh tokens...). The adapter bundled with oidc-provider is an LRU
 * capped at 1000 entries, so a long test run could silently lose a live
 * refresh token; this one keeps everything until it expires. State is lost
 * on restart, which is what a testbed wants.
 */
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface IStoredEntry {
  payload: AdapterPayload;
  /** Epoch milliseconds; Infinity when the model has no expiry. */
  expiresAt: number;
}

/** Models whose instances belong to a grant (revoked with it). */
const GRANT_MEMBERS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode'
]);

const SWEEP_INTERVAL_MS = 60_000;

export class MemoryStore {
  readonly #entries = new Map<string, IStoredEntry>();
  /** Secondary indexes: session uid and device user code -> model key. */
  readonly #sessionUids = new Map<string, string>();
  readonly #userCodes = new Map<string, string>();
  /** grant id -> keys of its tokens. */
  readonly #grants = new Map<string, Set<string>>();
  readonly #clockToleranceMs: number;

  constructor(clockToleranceSeconds = 0) {
    this.#clockToleranceMs = clockToleranceSeconds * 1000;
    // Expired entries are also dropped lazily on read; the sweep only
    // bounds memory. unref(): it must not keep the process alive.
    setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
  }

  factory(): AdapterFactory {
    return (modelName: string) => this.adapter(modelName);
  }

  get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (entry.expiresAt <= Date.now()) {
      this.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key: string, payload: AdapterPayload, expiresIn?: number): void {
    this.delete(key);
    const expiresAt =
      typeof expiresIn === 'number'
        ? Date.now() + expiresIn * 1000 + this.#clockToleranceMs
        : Infinity;
    this.#entries.set(key, { payload, expiresAt });
    const model = key.slice(0, key.indexOf(':'));
    if (model === 'Session' && typeof payload.uid === 'string') {
      this.#sessionUids.set(payload.uid, key);
    }
    if (typeof payload.userCode === 'string') {
      this.#userCodes.set(payload.userCode, key);
    }
    if (GRANT_MEMBERS.has(model) && typeof payload.grantId === 'string') {
      let members = this.#grants.get(payload.grantId);
      if (!members) {
        members = new Set();
        this.#grants.set(payload.grantId, members);
      }
      members.add(key);
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) {
      return;
    }
    this.#entries.delete(key);
    const { uid, userCode, grantId } = entry.payload;
    if (typeof uid === 'string' && this.#sessionUids.get(uid) === key) {
      this.#sessionUids.delete(uid);
    }
    if (typeof userCode === 'string' && this.#userCodes.get(userCode) === key) {
      this.#userCodes.delete(userCode);
    }
    if (typeof grantId === 'string') {
      const members = this.#grants.get(grantId);
      members?.delete(key);
      if (members?.size === 0) {
        this.#grants.delete(grantId);
      }
    }
  }

  keyBySessionUid(uid: string): string | undefined {
    return this.#sessionUids.get(uid);
  }

  keyByUserCode(userCode: string): string | undefined {
    return this.#userCodes.get(userCode);
  }

  revokeGrant(grantId: string): void {
    for (const key of [...(this.#grants.get(grantId) ?? [])]) {
      this.delete(key);
    }
    this.#grants.delete(grantId);
  }

  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.delete(key);
      }
    }
  }

  adapter(modelName: string): Adapter {
    const keyFor = (id: string): string => `${modelName}:${id}`;
    const find = async (key: string | undefined) =>
      key === undefined ? undefined : this.get(key);
    return {
      upsert: async (id, payload, expiresIn) =>
        this.set(keyFor(id), payload, expiresIn),
      find: async id => this.get(keyFor(id)),
      findByUid: async uid => find(this.keyBySessionUid(uid)),
      findByUserCode: async userCode => find(this.keyByUserCode(userCode)),
      consume: async id => {
        const payload = this.get(keyFor(id));
        if (payload) {
          payload.consumed = Math.floor(Date.now() / 1000);
        }
      },
      destroy: async id => this.delete(keyFor(id)),
      revokeByGrantId: async grantId => this.revokeGrant(grantId)
    };
  }
}
