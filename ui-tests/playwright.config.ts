/**
 * Galata (Playwright) configuration: Debian's Chromium (never a downloaded
 * browser), one worker, and a Jupyter server that starts its own testbed
 * (jupyter_server_test_config.py).
 */
import * as path from 'path';

import { defineConfig } from '@playwright/test';

// Galata's playwright-config declares no types (its .d.ts is empty): require it untyped.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = Number(process.env.DASK_SITES_UI_PORT ?? 8888);
// The server runs under a JupyterHub-style base URL, so every test also
// proves the extension correct there. Galata's `baseURL` is the application's
// URL without `/lab`.
const basePath =
  `/${process.env.DASK_SITES_UI_BASE_URL ?? '/user/alice/'}/`.replace(
    /\/+/g,
    '/'
  );
const baseURL = `http://127.0.0.1:${port}${basePath.slice(0, -1)}`;
const python = path.resolve(__dirname, '..', '.venv', 'bin', 'python');

// Shared with the server config, the tests and the global teardown.
process.env.DASK_SITES_UI_PORT = String(port);
process.env.DASK_SITES_UI_BASE_URL = basePath;
process.env.DASK_SITES_UI_STATE_DIR ??= path.resolve(__dirname, '.testbed');

export default defineConfig({
  ...baseConfig,
  testDir: './tests',
  outputDir: './test-results',
  // The tests share the testbed's state (a login, then one cluster): in order, one at a time.
  fullyParallel: false,
  workers: 1,
  // One retry: a test that fails and then passes is reported "flaky" (and
  // listed by `make ui-test`), so a rare timing failure on a loaded 2-core
  // machine is seen without failing the run; a test that fails twice fails it.
  retries: 1,
  forbidOnly: !!process.env.CI,
  // A 2-core machine starts clusters and kernels slowly.
  timeout: 180_000,
  expect: { timeout: 30_000 },
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report' }]
  ],
  globalTeardown: require.resolve('./global-teardown'),
  use: {
    ...baseConfig.use,
    baseURL,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    },
    viewport: { width: 1280, height: 900 },
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    // Video needs Playwright's own ffmpeg download: off.
    video: 'off'
  },
  webServer: {
    // The server's log (and the testbed's start-up) goes to artifacts/jupyter-server.log.
    command: `mkdir -p artifacts && exec ${python} -m jupyterlab --config jupyter_server_test_config.py > artifacts/jupyter-server.log 2>&1`,
    url: `${baseURL}/lab`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'ignore',
    // SIGTERM lets the server stop the testbed (a SIGKILL would leave it to the teardown).
    gracefulShutdown: { signal: 'SIGTERM', timeout: 30_000 }
  }
});
