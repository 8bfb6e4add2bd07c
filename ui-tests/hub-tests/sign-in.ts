/**
 * Before the hub's tests: alice signs in to the hub as a person does (the
 * hub sends the browser to the issuer's login page, she signs in there, the
 * hub spawns her server and opens her Lab). The browser's cookies (hub,
 * her server and the issuer's session) are what every test starts with.
 * The testbed's API token of alice's, for the tests' server calls, is read
 * into DASK_SITES_UI_HUB_TOKEN.
 */
import * as fs from 'fs';
import * as path from 'path';

import { chromium, expect, type FullConfig } from '@playwright/test';

import { ARTIFACTS, USER } from '../tests/support/lab';

async function readToken(file: string): Promise<string> {
  // hub_testbed.py writes it just after the hub answers.
  for (let i = 0; i < 300; i++) {
    if (fs.existsSync(file)) {
      return fs.readFileSync(file, 'utf-8').trim();
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`no token at ${file}: did hub_testbed.py start?`);
}

export default async function signIn(config: FullConfig): Promise<void> {
  const stateDir = process.env.DASK_SITES_UI_HUB_STATE_DIR!;
  const hub = process.env.DASK_SITES_UI_HUB_URL!;
  process.env.DASK_SITES_UI_HUB_TOKEN = await readToken(
    path.join(stateDir, 'alice-token')
  );
  const use = config.projects[0].use;
  const browser = await chromium.launch(use.launchOptions);
  try {
    const page = await browser.newPage({ viewport: use.viewport });
    await page.goto(`${hub}/hub/login`);
    await page.getByRole('button', { name: /Sign in with/ }).click();
    // The issuer's own login page.
    await expect(page.locator('body')).toHaveAttribute(
      'data-testbed-page',
      'login'
    );
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.getByLabel('Username').fill(USER.name);
    await page.getByLabel('Password').fill(USER.password);
    await page.screenshot({
      path: path.join(ARTIFACTS, 'hub-issuer-login.png')
    });
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back at the hub, which spawns alice's server and opens her Lab.
    await page.waitForURL(`${hub}/user/alice/lab**`, { timeout: 180_000 });
    await expect(page.locator('#jp-main-dock-panel')).toBeVisible({
      timeout: 120_000
    });
    await page
      .context()
      .storageState({ path: path.join(stateDir, 'alice-browser.json') });
  } finally {
    await browser.close();
  }
}
