/**
 * The sidecar's small persistent state: display names of clusters, the
 * cluster kernels use per site, refresh tokens of the logins whose registry
 * entry allows keeping them, and what a restart must not make the user lose
 * sight of (the clusters last listed per site, who was logged in where;
 * never a token or key). One JSON file, mode 0600, written atomically and
 * one write at a time.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { writePrivateFile } from './private-file';

export interface IStateDocument {
  version: 1;
  /** site → cluster → display name. */
  displayNames: { [site: string]: { [cluster: string]: string } };
  /** site → cluster kernels use. */
  chosenClusters: { [site: string]: string };
  /** login key → refresh token (only where persisting is allowed). */
  refreshTokens: { [loginKey: string]: string };
  /** site → the clusters last listed there (no TLS material, no figures). */
  knownClusters: { [site: string]: IKnownClusters };
  /** login key → the user logged in there (a restart without a kept token says why it asks again). */
  loggedIn: { [loginKey: string]: string };
  /** site → cluster made for kernels → the kernels that used it. */
  kernelClusters: { [site: string]: { [cluster: string]: IKernelOwner[] } };
}

/** A kernel that used a cluster made for kernels, and what its server told of it. */
export interface IKernelOwner {
  /** `<kernel id>/<pid>`. */
  kernel: string;
  /** The server (its id for this run) that reported this kernel id running. */
  seenBy?: string;
  /** That server reported this very pid (not only the id: no wrapper between). */
  confirmed?: boolean;
}

/** A site's cluster list as last seen. */
export interface IKnownClusters {
  /** ms since the epoch. */
  asOf: number;
  clusters: {
    name: string;
    status: 'PENDING' | 'RUNNING';
    startTime?: number;
  }[];
}

export const STATE_FILE_NAME = 'sidecar-state.json';

function emptyState(): IStateDocument {
  return {
    version: 1,
    displayNames: {},
    chosenClusters: {},
    refreshTokens: {},
    knownClusters: {},
    loggedIn: {},
    kernelClusters: {}
  };
}

export class StateFile {
  private document: IStateDocument;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    /** No path: state lives in memory only. */
    readonly path: string | undefined,
    document: IStateDocument
  ) {
    this.document = document;
  }

  /** Open the state in `dir` (created 0700), or in memory when `dir` is not given. */
  static async open(dir?: string): Promise<StateFile> {
    if (!dir) {
      return new StateFile(undefined, emptyState());
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, STATE_FILE_NAME);
    return new StateFile(path, await readState(path));
  }

  /** A copy, so callers cannot change the state behind the file's back. */
  get state(): IStateDocument {
    return structuredClone(this.document);
  }

  /** Resolves once every write asked for so far has ended (on the way out). */
  flushed(): Promise<void> {
    return this.writing.catch(() => undefined);
  }

  /** Change the state and write it; writes are serialised. */
  update(change: (state: IStateDocument) => void): Promise<void> {
    change(this.document);
    const snapshot = JSON.stringify(this.document);
    // One failed write (disk full) must not block every later one.
    const write = this.writing
      .catch(() => undefined)
      .then(() => this.write(snapshot));
    this.writing = write;
    return write;
  }

  private async write(text: string): Promise<void> {
    if (this.path) {
      await writePrivateFile(this.path, text);
    }
  }
}

async function readState(path: string): Promise<IStateDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return emptyState();
  }
  try {
    const parsed = JSON.parse(text) as Partial<IStateDocument>;
    if (parsed.version !== 1) {
      return emptyState();
    }
    return {
      ...emptyState(),
      ...parsed,
      version: 1
    };
  } catch {
    // A damaged file must not stop the sidecar; it is rewritten on the next change.
    process.stderr.write(`sidecar: ignoring unreadable state file ${path}\n`);
    return emptyState();
  }
}
