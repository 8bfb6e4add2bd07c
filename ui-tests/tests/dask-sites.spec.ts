/**
 * The Dask Sites sidebar and a tagged notebook, in a real browser, against the
 * real testbed (issuer, gateways, object stores) that the test server started.
 *
 * The tests run in order and share the server's state: the login of the
 * first is used by all that follow, the cluster made in the second is scaled,
 * watched and stopped by the next ones. Each test opens a fresh page, so the
 * sidebar must also show state it did not create itself.
 */
import * as fs from 'fs';
import * as path from 'path';

import {
  expect,
  galata,
  type IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import type { Locator, Page, TestInfo } from '@playwright/test';

const SIDEBAR_ID = 'dask-sites-sidebar';
const CENTRAL = 'Central (Warsaw)';
const LUMI = 'LUMI bridge (Kajaani)';
const USER = { name: 'alice', password: 'alice-dask-sites' };
const CLUSTER = 'ui-test central';
/** Screenshots (and the saved notebook) for people to look at: ui-tests/artifacts/. */
const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');

test.describe.configure({ mode: 'serial' });

// Galata mocks the settings in memory; the panel's own defaults apply
// (confirmStop: true, defaultWorkers: 1).
test.use({ mockSettings: { ...galata.DEFAULT_SETTINGS } });

async function openSidebar(page: IJupyterLabPageFixture): Promise<Locator> {
  await expect(
    page.sidebar.getTabLocator(SIDEBAR_ID),
    'the Dask Sites sidebar tab (is the labextension built and installed?)'
  ).toHaveCount(1);
  await page.sidebar.openTab(SIDEBAR_ID);
  const panel = page.getByRole('region', { name: 'Dask Sites' });
  await expect(panel).toBeVisible();
  // The live WebSocket opens while the panel is shown.
  await expect(panel.locator('.jp-DaskSites-live')).toHaveAttribute(
    'data-status',
    'open'
  );
  return panel;
}

function card(panel: Locator, label: string): Locator {
  return panel.getByRole('region', { name: label, exact: true });
}

function clusterRow(siteCard: Locator, name = CLUSTER): Locator {
  return siteCard.getByRole('listitem', {
    name: `Cluster ${name}`,
    exact: true
  });
}

/** The value of one of a cluster's figures (Workers, Threads, Memory, ...). */
function figure(row: Locator, term: string): Locator {
  return row
    .locator('.jp-DaskSites-figure')
    .filter({
      has: row.page().locator('dt', { hasText: new RegExp(`^${term}$`) })
    })
    .locator('dd');
}

/**
 * The row's "Dashboard" button (one status pane), or, where the row lists
 * several dashboard plots ("Dashboards" disclosure), its "Status" plot: both
 * run `dask-sites:open-dashboard`.
 */
async function openStatusDashboard(row: Locator): Promise<void> {
  const single = row.getByRole('button', { name: 'Dashboard', exact: true });
  if (await single.count()) {
    await single.click();
    return;
  }
  await row.getByText('Dashboards', { exact: true }).click();
  await row
    .getByRole('list', { name: 'Dashboard plots' })
    .getByRole('button', { name: 'Status', exact: true })
    .click();
}

async function saveScreenshot(
  target: Page | Locator,
  name: string,
  testInfo: TestInfo
): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await target.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

test('log in to a site with the device flow, approved on the issuer’s pages', async ({
  page
}) => {
  const panel = await openSidebar(page);
  const central = card(panel, CENTRAL);
  await expect(central.locator('.jp-DaskSites-reach')).toHaveAttribute(
    'data-status',
    'up'
  );
  await expect(central).toContainText('Not logged in');

  await central.getByRole('button', { name: 'Log in', exact: true }).click();
  const code = central.getByLabel('Login code');
  await expect(code).toHaveText(/\S{4,}/);
  const shownCode = (await code.textContent())!.replace(/[^A-Za-z0-9]/g, '');
  await expect(central.getByRole('status')).toContainText(
    'Waiting for you to log in'
  );

  // The link opens the issuer's verification page in a new tab.
  const [issuer] = await Promise.all([
    page.context().waitForEvent('page'),
    central.getByRole('link').click()
  ]);
  await expect(issuer.locator('body')).toHaveAttribute(
    'data-testbed-page',
    'device-confirm'
  );
  // The page asks to confirm the very code the sidebar shows.
  await expect(issuer.locator('[data-testbed-user-code]')).toHaveText(
    new RegExp(shownCode.split('').join('[^A-Za-z0-9]*'))
  );
  await issuer.getByRole('button', { name: 'Continue' }).click();
  await expect(issuer.locator('body')).toHaveAttribute(
    'data-testbed-page',
    'login'
  );
  await issuer.getByLabel('Username').fill(USER.name);
  await issuer.getByLabel('Password').fill(USER.password);
  await issuer.getByRole('button', { name: 'Sign in' }).click();
  await expect(issuer.locator('[data-testbed-result]')).toHaveAttribute(
    'data-testbed-result',
    'device-approved'
  );
  await issuer.close();

  // No reload: the sidecar's poll finishes the login and the live connection
  // tells the open panel. Sites sharing the issuer share the login.
  await expect(central).toContainText('Logged in as alice', {
    timeout: 60_000
  });
  await expect(card(panel, LUMI)).toContainText('Logged in as alice');
  await expect(central.getByRole('button', { name: 'Log out' })).toBeEnabled();
});

test('create a cluster from the options form', async ({ page }) => {
  const panel = await openSidebar(page);
  const central = card(panel, CENTRAL);
  await expect(central).toContainText('Logged in as alice');
  await expect(central).toContainText('No clusters running.');

  await central.getByRole('button', { name: 'New cluster' }).click();
  const form = central.getByRole('form', { name: `New cluster at ${CENTRAL}` });
  // Fields come from the gateway's option spec, with the site's defaults.
  const cores = form.getByLabel('Worker cores');
  const memory = form.getByLabel('Worker memory (GiB)');
  await expect(cores).toHaveValue('1');
  await expect(cores).toHaveAttribute('max', '2');
  await expect(memory).toHaveValue('1');
  await form.getByLabel('Name').fill(CLUSTER);
  await cores.fill('2');
  await memory.fill('1.5');
  await form.getByLabel('Workers').fill('1');
  await form.getByRole('button', { name: 'Create' }).click();

  const row = clusterRow(central);
  await expect(row).toHaveAttribute('data-status', 'RUNNING', {
    timeout: 120_000
  });
  await expect(row.locator('.jp-DaskSites-status')).toHaveText('running');
  // The options reached the gateway: one worker with 2 cores (threads) and
  // 1.5 GiB of memory.
  await expect(figure(row, 'Workers')).toHaveText('1', { timeout: 90_000 });
  await expect(figure(row, 'Threads')).toHaveText('2');
  await expect(figure(row, 'Memory')).toContainText(/\/ 1\.50? GiB/);
  await expect(form).toHaveCount(0);
});

test('scale the cluster to 2 workers', async ({ page }, testInfo) => {
  const panel = await openSidebar(page);
  const row = clusterRow(card(panel, CENTRAL));
  await expect(row).toHaveAttribute('data-status', 'RUNNING');

  await row.getByRole('spinbutton', { name: 'Workers', exact: true }).fill('2');
  await row.getByRole('button', { name: 'Scale', exact: true }).click();
  await expect(figure(row, 'Workers')).toHaveText('2', { timeout: 90_000 });
  await expect(figure(row, 'Threads')).toHaveText('4');
  await expect(figure(row, 'Memory')).toContainText(/\/ 3\.00? GiB/);

  await saveScreenshot(panel, 'sidebar-logged-in-running-cluster', testInfo);
});

test('open the cluster’s dashboard in a JupyterLab tab', async ({ page }) => {
  const panel = await openSidebar(page);
  const row = clusterRow(card(panel, CENTRAL));
  await openStatusDashboard(row);

  // The pane's tab names the cluster (and its site and plot).
  await expect(
    page.getByRole('tab', { name: new RegExp(` · ${CLUSTER} · status`, 'i') })
  ).toBeVisible();
  const iframe = page.locator('.jp-DaskSites-dashboard iframe');
  await expect(iframe).toBeVisible();
  await expect(iframe).toHaveAttribute(
    'src',
    /\/dask-sites\/dashboard\/central\/[0-9a-f]+\/status$/
  );
  const frame = (await (await iframe.elementHandle())!.contentFrame())!;
  // Bokeh loaded through the proxy, reached its server over the WebSocket and
  // rendered the status page's document.
  await frame.waitForFunction(
    () => {
      const bokeh = (window as any).Bokeh;
      return (
        !!bokeh &&
        Array.isArray(bokeh.documents) &&
        bokeh.documents.length > 0 &&
        bokeh.documents[0].roots().length > 0
      );
    },
    undefined,
    { timeout: 60_000 }
  );
  expect(await frame.title()).toMatch(/dask/i);
});

test('stop the cluster after confirming', async ({ page }) => {
  const panel = await openSidebar(page);
  const central = card(panel, CENTRAL);
  const row = clusterRow(central);
  await expect(row).toHaveAttribute('data-status', 'RUNNING');

  await row.getByRole('button', { name: 'Stop', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`Stop cluster ${CLUSTER}?`);
  await dialog.getByRole('button', { name: 'Stop', exact: true }).click();

  // Gone from the list, or listed as stopped.
  await expect(async () => {
    const count = await row.count();
    const status = count ? await row.getAttribute('data-status') : 'GONE';
    expect(['GONE', 'STOPPED']).toContain(status);
  }).toPass({ timeout: 90_000 });
  if (await row.count()) {
    await expect(row.locator('.jp-DaskSites-status')).toHaveText('stopped');
    await expect(
      row.getByRole('button', { name: 'Stop', exact: true })
    ).toBeDisabled();
  }
  await expect(
    central.locator('.jp-DaskSites-cluster[data-status="RUNNING"]')
  ).toHaveCount(0);
});

test('a cell tagged with lumi runs at lumi', async ({
  page,
  tmpPath
}, testInfo) => {
  const name = 'tagged.ipynb';
  await page.notebook.createNew(name);
  await page.notebook.setCell(
    0,
    'code',
    "import dask, os\ndask.delayed(lambda: os.environ.get('DASK_SITES_SITE','local'))().compute()"
  );
  // Until the cell toolbar's site picker lands: set the metadata through the
  // notebook model, as the picker will.
  await page.evaluate(() => {
    const app = (window as any).jupyterapp;
    const cell = app.shell.currentWidget.content.widgets[0];
    cell.model.setMetadata('dask-sites', { site: 'lumi' });
  });
  await page.notebook.runCell(0);
  // The kernel sent the cell's work to lumi (creating lumi's cluster on the way).
  const result = page
    .locator('.jp-Cell')
    .first()
    .locator('.jp-OutputArea-executeResult .jp-OutputArea-output');
  await expect(result).toHaveText("'lumi'", { timeout: 150_000 });

  await page.notebook.save();
  const saved = await page.request.get(
    `/api/contents/${tmpPath}/${name}?content=1&type=notebook`
  );
  expect(saved.ok()).toBe(true);
  const notebook = (await saved.json()).content;
  expect(notebook.cells[0].metadata['dask-sites']).toEqual({ site: 'lumi' });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(
    path.join(ARTIFACTS, name),
    JSON.stringify(notebook, null, 1) + '\n'
  );

  // The sidebar shows the cluster the kernel made at lumi.
  const panel = await openSidebar(page);
  await expect(
    card(panel, LUMI).locator('.jp-DaskSites-cluster[data-status="RUNNING"]')
  ).toHaveCount(1);
  await saveScreenshot(page, 'notebook-tagged-lumi', testInfo);
});
