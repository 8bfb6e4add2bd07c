/**
 * Galata (Playwright) tests through a real JupyterHub: the testbed with its
 * hub (hub_testbed.py), users signing in at the testbed issuer, the Lab
 * under the hub's `/user/alice/` URL and proxy. The same Chromium and
 * settings as playwright.config.ts; its own tests (hub-tests/), testbed and
 * state directory.
 */
import * as path from 'path';

import { defineConfig } from '@playwright/test';

import mainConfig from './playwright.config';

const port = Number(process.env.DASK_SITES_UI_HUB_PORT ?? 8899);
const hub = `http://127.0.0.1:${port}`;
const python = path.resolve(__dirname, '..', '.venv', 'bin', 'python');

// Shared with hub_testbed.py, the global setup and teardown and the tests.
process.env.DASK_SITES_UI_HUB_PORT = String(port);
process.env.DASK_SITES_UI_HUB_URL = hub;
process.env.DASK_SITES_UI_HUB_STATE_DIR ??= path.resolve(
  __dirname,
  '.hub-testbed'
);

export default defineConfig({
  ...mainConfig,
  testDir: './hub-tests',
  outputDir: './test-results/hub',
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report/hub' }]
  ],
  // Signs alice in through the hub's login (the issuer's pages) once.
  globalSetup: require.resolve('./hub-tests/sign-in'),
  globalTeardown: require.resolve('./hub-tests/teardown'),
  use: {
    ...mainConfig.use,
    baseURL: `${hub}/user/alice`,
    storageState: path.join(
      process.env.DASK_SITES_UI_HUB_STATE_DIR,
      'alice-browser.json'
    )
  },
  webServer: {
    command: `mkdir -p artifacts && exec ${python} hub_testbed.py > artifacts/hub-testbed.log 2>&1`,
    url: `${hub}/hub/api/`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'ignore',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 60_000 }
  }
});
