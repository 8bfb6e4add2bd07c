import { MemoryRefreshTokenStore, type IRefreshTokenStore } from '../../auth';

/** A store that records the order of operations. */
export class RecordingStore implements IRefreshTokenStore {
  inner = new MemoryRefreshTokenStore();
  saves: (string | undefined)[] = [];
  gate?: Promise<void>;

  async load(key: string): Promise<string | undefined> {
    return this.inner.load(key);
  }

  async save(key: string, token: string | undefined): Promise<void> {
    if (this.gate) {
      await this.gate;
    }
    this.saves.push(token);
    await this.inner.save(key, token);
  }
}
