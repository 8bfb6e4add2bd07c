/** The sidecar's state file (src/sidecar/state/state-file.ts): writes in order, and flushed on the way out. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { STATE_FILE_NAME, StateFile } from '../state/state-file';

describe('StateFile', () => {
  it('flushed() waits for the writes asked for, so a stop loses none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dask-sites-state-'));
    const state = await StateFile.open(dir);
    // Not awaited, as the sites layer saves: the last change must reach the disk.
    void state.update(document => {
      document.loggedIn.first = 'alice';
    });
    void state.update(document => {
      document.loggedIn.second = 'bob';
    });
    await state.flushed();
    const written = JSON.parse(
      readFileSync(join(dir, STATE_FILE_NAME), 'utf8')
    );
    expect(written.loggedIn).toEqual({ first: 'alice', second: 'bob' });
    // Reopened, the state is what was written.
    expect((await StateFile.open(dir)).state.loggedIn).toEqual({
      first: 'alice',
      second: 'bob'
    });
  });
});
