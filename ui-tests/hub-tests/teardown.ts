/** Second line of defence: stop the hub's testbed even if hub_testbed.py could not. */
import { spawnSync } from 'child_process';
import * as path from 'path';

export default function globalTeardown(): void {
  const python = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'python');
  spawnSync(
    python,
    [
      '-m',
      'jupyter_ext_server.cli',
      'testbed',
      'down',
      '--state-dir',
      process.env.DASK_SITES_UI_HUB_STATE_DIR!
    ],
    { stdio: 'inherit' }
  );
}
