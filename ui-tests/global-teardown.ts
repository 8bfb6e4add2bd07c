/**
 * Second line of defence: stop the tests' testbed even if the server could
 * not (the server's own exit handler stops it in the normal case).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

/** `dask-sites testbed down` on a state directory. */
export function stopTestbed(stateDir: string): void {
  const python = path.resolve(__dirname, '..', '.venv', 'bin', 'python');
  spawnSync(
    python,
    [
      '-m',
      'jupyter_ext_server.cli',
      'testbed',
      'down',
      '--state-dir',
      stateDir
    ],
    { stdio: 'inherit' }
  );
}

export default function globalTeardown(): void {
  stopTestbed(
    process.env.DASK_SITES_UI_STATE_DIR ?? path.resolve(__dirname, '.testbed')
  );
}
