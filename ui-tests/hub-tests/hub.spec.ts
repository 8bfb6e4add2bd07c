/**
 * Through a real JupyterHub: alice signed in at the hub through the issuer
 * (sign-in.ts). Her Lab runs under the hub's `/user/alice/` URL and proxy;
 * the sites log in with one click and no password; a cluster, a tagged cell
 * run at its site and a live dashboard pane all work through the hub.
 */
import type { APIRequestContext } from '@playwright/test';

import {
  bokehRendered,
  CAPABILITY_URL,
  card,
  CENTRAL,
  cellSitePicker,
  clusterRow,
  expect,
  figure,
  inOrder,
  LUMI,
  openPlot,
  openSidebar,
  runCell,
  saveScreenshot,
  test as labTest,
  underBasePath,
  WHERE
} from '../tests/support/lab';

const HUB = process.env.DASK_SITES_UI_HUB_URL!;
const CLUSTER = 'hub-test central';

/** Galata's and the tests' own server calls carry alice's API token. */
const test = labTest.extend<{ request: APIRequestContext }>({
  request: async ({ playwright, baseURL }, use) => {
    const context = await playwright.request.newContext({
      baseURL,
      extraHTTPHeaders: {
        Authorization: `token ${process.env.DASK_SITES_UI_HUB_TOKEN}`
      }
    });
    await use(underBasePath(context));
    await context.dispose();
  }
});

inOrder();

test('after the hub login the sites log in with one click and no password', async ({
  page
}, testInfo) => {
  expect(page.url()).toMatch(new RegExp(`^${HUB}/user/alice/lab`));
  const panel = await openSidebar(page);
  const central = card(panel, CENTRAL);
  const lumi = card(panel, LUMI);
  await expect(central.getByRole('button', { name: 'Log in' })).toBeVisible();

  const [popup] = await Promise.all([
    page.waitForEvent('popup'),
    central.getByRole('button', { name: 'Log in' }).click()
  ]);
  const visited: string[] = [popup.url()];
  popup.on('framenavigated', frame => visited.push(frame.url()));
  // The issuer answered at once (its session from the hub login): the popup
  // came back to the callback, which closed it. No page asked for anything.
  await popup.waitForEvent('close', { timeout: 30_000 });
  expect(visited.join(' ')).not.toMatch(/\/interaction\//);
  for (const site of [central, lumi]) {
    await expect(site).toContainText('Logged in as alice');
  }
  await saveScreenshot(panel, 'hub-sidebar-signed-on', testInfo);
});

test('a cluster, a tagged cell run at its site and a live dashboard, through the hub', async ({
  page,
  request
}, testInfo) => {
  const panel = await openSidebar(page);
  const central = card(panel, CENTRAL);
  await expect(central).toContainText('Logged in as alice');
  await central.getByRole('button', { name: 'New cluster' }).click();
  const form = central.getByRole('form', { name: `New cluster at ${CENTRAL}` });
  await form.getByLabel('Name').fill(CLUSTER);
  await form.getByLabel('Workers').fill('1');
  await form.getByRole('button', { name: 'Create' }).click();
  const row = clusterRow(central, CLUSTER);
  await expect(row).toHaveAttribute('data-status', 'RUNNING', {
    timeout: 120_000
  });
  await expect(figure(row, 'Workers')).toHaveText('1', { timeout: 90_000 });

  try {
    await page.notebook.createNew('at-central.ipynb');
    await page.notebook.setCell(0, 'code', WHERE);
    const cell = (await page.notebook.getCellLocator(0))!;
    await cellSitePicker(cell).selectOption('central');
    await runCell(page, 0);
    await expect(
      cell.locator('.jp-OutputArea-executeResult .jp-OutputArea-output')
    ).toHaveText("'central'", { timeout: 150_000 });
    await expect(cell.locator('.jp-DaskSites-record')).toHaveText(
      /^ran at central · /
    );
    await saveScreenshot(page, 'hub-notebook-cell-at-central', testInfo);

    // The dashboard pane streams through the hub's proxy.
    await openPlot(row, 'Task stream');
    const iframe = page.locator(
      '.jp-DaskSites-dashboard iframe[src*="/dashboard/central/"]'
    );
    await expect(iframe).toHaveCount(1);
    const frame = await bokehRendered(iframe);
    expect(frame.url()).toMatch(CAPABILITY_URL);
    expect(frame.url().startsWith(`${HUB}/user/alice/dask-sites/frame/`)).toBe(
      true
    );
    await saveScreenshot(page, 'hub-notebook-and-dashboard', testInfo);
  } finally {
    const clusters = await request.get(
      '/dask-sites/api/sites/central/clusters'
    );
    for (const cluster of (await clusters.json()).clusters as {
      name: string;
    }[]) {
      await request.delete(
        `/dask-sites/api/sites/central/clusters/${cluster.name}`
      );
    }
  }
});
