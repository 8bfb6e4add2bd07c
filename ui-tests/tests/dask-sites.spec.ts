/**
 * The Dask Sites sidebar, a site-tagged notebook and dashboard panes, in a
 * real browser, against the real testbed (issuer, gateways, object stores)
 * that the test server started, under a JupyterHub-style base URL
 * (`/user/alice/`, see playwright.config.ts).
 *
 * The tests run in order and share the server's state: the login of the
 * first is used by all that follow, the central cluster made in the second is
 * scaled, used by the notebook's default site, shown beside lumi's cluster
 * (which the kernel made for the tagged cell) and stopped at the end. Each
 * test opens a fresh page, so the UI must also show state it did not create
 * itself.
 */
import * as fs from 'fs';
import * as path from 'path';

import {
  test as base,
  expect,
  galata,
  type IJupyterLabPageFixture
} from '@jupyterlab/galata';
import type {
  APIRequestContext,
  Frame,
  Locator,
  Page,
  TestInfo
} from '@playwright/test';

const SIDEBAR_ID = 'dask-sites-sidebar';
const CENTRAL = 'Central (Warsaw)';
const LUMI = 'LUMI bridge (Kajaani)';
const USER = { name: 'alice', password: 'alice-dask-sites' };
const CLUSTER = 'ui-test central';
/** Screenshots (and the saved notebook) for people to look at: ui-tests/artifacts/. */
const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');
/** The server's base URL (`/user/alice/`), from playwright.config.ts. */
const BASE_PATH = process.env.DASK_SITES_UI_BASE_URL ?? '/';
/** The code of the notebook's cells: where a Dask task runs. */
const WHERE =
  "import dask, os\ndask.delayed(lambda: os.environ.get('DASK_SITES_SITE','local'))().compute()";
/** Where a dashboard link leads: a capability URL under the base URL. */
const CAPABILITY_URL = new RegExp(
  `^http://127\\.0\\.0\\.1:\\d+${BASE_PATH}dask-sites/frame/[A-Za-z0-9_-]{43}/`
);
/** What the testbed's hostile page (lumi's schedulers, `--hostile-dashboards`) tries. */
const HOSTILE_ATTEMPTS = [
  'read-cookies',
  'read-files',
  'write-file',
  'blind-post',
  'sites-api',
  'other-dashboard',
  'live-socket',
  'list-kernels',
  'parent-document',
  'parent-app',
  'top-location',
  'navigate-top',
  'local-storage',
  'open-window'
];
const CELL_SITE = 'Dask site of this cell (where its Dask work runs)';
const NOTEBOOK_SITE =
  'Default Dask site of this notebook (for cells without a site)';

/** A server path (`/api/...`) under the base URL. */
function underBase(url: string): string {
  return url.startsWith('/') && !url.startsWith(BASE_PATH)
    ? BASE_PATH + url.slice(1)
    : url;
}

/**
 * Galata's own server calls (the `tmpPath` folder, closing the test's kernels
 * and sessions) go through the `request` fixture with absolute paths such as
 * `/api/contents/...`, which a base URL in `baseURL` does not prefix: put them
 * under the base URL.
 */
const test = base.extend<{ request: APIRequestContext }>({
  request: async ({ request }, use) => {
    const methods = new Set([
      'fetch',
      'get',
      'post',
      'put',
      'patch',
      'delete',
      'head'
    ]);
    await use(
      new Proxy(request, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') {
            return value;
          }
          if (typeof property === 'string' && methods.has(property)) {
            return (url: unknown, ...rest: unknown[]) =>
              value.call(
                target,
                typeof url === 'string' ? underBase(url) : url,
                ...rest
              );
          }
          return value.bind(target);
        }
      })
    );
  }
});

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

/** Open one of a running cluster's dashboard plots from its "Dashboards" list. */
async function openPlot(row: Locator, plot: string): Promise<void> {
  const plots = row.getByRole('list', { name: 'Dashboard plots' });
  if (!(await plots.isVisible())) {
    await row.getByText('Dashboards', { exact: true }).click();
  }
  await plots.getByRole('button', { name: plot, exact: true }).click();
}

/** Wait until the page in `iframe` has rendered a Bokeh document. */
async function bokehRendered(iframe: Locator): Promise<Frame> {
  const frame = (await (await iframe.elementHandle())!.contentFrame())!;
  // Bokeh loaded through the dashboard proxy, reached its server over the
  // WebSocket and rendered the page's document.
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
  return frame;
}

/** A notebook cell's site picker (in its toolbar: the cell must be active). */
function cellSitePicker(cell: Locator): Locator {
  return cell.getByRole('combobox', { name: CELL_SITE, exact: true });
}

/** Run a cell in place, from the notebook (a picker may have the focus). */
async function runCell(
  page: IJupyterLabPageFixture,
  index: number
): Promise<void> {
  await page.notebook.selectCells(index);
  await page.notebook.runCell(index, { inplace: true });
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
  // JupyterLab runs under the base URL (and so do all the extension's calls).
  await expect(page).toHaveURL(
    new RegExp(`^http://127\\.0\\.0\\.1:\\d+${BASE_PATH}lab\\b`)
  );
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
  // 1.5 GiB of memory (1.61 GB).
  await expect(figure(row, 'Workers')).toHaveText('1', { timeout: 90_000 });
  await expect(figure(row, 'Threads')).toHaveText('2');
  await expect(figure(row, 'Memory')).toContainText(/\/ 1\.61 GB/);
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
  await expect(figure(row, 'Memory')).toContainText(/\/ 3\.22 GB/);

  await saveScreenshot(panel, 'sidebar-logged-in-running-cluster', testInfo);
});

test('tag a cell with lumi in its toolbar, run it there; the notebook’s default site', async ({
  page,
  request,
  tmpPath
}, testInfo) => {
  const name = 'tagged.ipynb';
  await page.notebook.createNew(name);
  await page.notebook.setCell(0, 'code', WHERE);
  const tagged = (await page.notebook.getCellLocator(0))!;

  // The picker in the active cell's toolbar tags the cell; the badge shows at once.
  const picker = cellSitePicker(tagged);
  await expect(picker).toHaveValue('');
  await picker.selectOption('lumi');
  await expect(picker).toHaveValue('lumi');
  const badge = tagged.locator('.jp-DaskSites-badge');
  await expect(badge).toHaveText('lumi');
  await expect(tagged).toHaveClass(/\bjp-DaskSites-tagged\b/);

  await runCell(page, 0);
  // The kernel sent the cell's work to lumi (creating lumi's cluster on the way).
  await expect(
    tagged.locator('.jp-OutputArea-executeResult .jp-OutputArea-output')
  ).toHaveText("'lumi'", { timeout: 150_000 });
  // The run record, rendered from its own mimetype, and the badge: where the
  // work ran, how long, and the bytes brought back.
  const ran = /^lumi · [\d.<]+ s · [\d.]+ [KMG]?i?B back$/;
  await expect(tagged.locator('.jp-DaskSites-record')).toHaveText(
    new RegExp(`^ran at ${ran.source.slice(1)}`)
  );
  await expect(badge).toHaveText(ran);
  await expect(badge).toHaveAttribute('data-kind', 'tagged');

  // The notebook's default site, from the notebook toolbar, for an untagged
  // cell with the same code (a quiet `%site --from-notebook central` goes first).
  await page.notebook.addCell('code', WHERE);
  const untagged = (await page.notebook.getCellLocator(1))!;
  await expect(cellSitePicker(untagged)).toHaveValue('');
  const notebookDefault = page.getByRole('combobox', {
    name: NOTEBOOK_SITE,
    exact: true
  });
  await expect(notebookDefault).toHaveValue('');
  await expect(
    notebookDefault.locator('option:checked', { hasText: 'default: none' })
  ).toHaveCount(1);
  await notebookDefault.selectOption('central');
  await runCell(page, 1);
  const untaggedResult = untagged.locator(
    '.jp-OutputArea-executeResult .jp-OutputArea-output'
  );
  await expect(untaggedResult).toHaveText("'central'", { timeout: 120_000 });
  await expect(untagged.locator('.jp-DaskSites-record')).toHaveText(
    /^ran at central · /
  );
  await expect(untagged.locator('.jp-DaskSites-badge')).toHaveText(
    'default → central'
  );
  // Its own picker still says "no site", without the default's colour.
  await expect(cellSitePicker(untagged)).toHaveValue('');
  await expect(untagged.locator('.jp-DaskSites-pickerSwatch')).toHaveCSS(
    'background-color',
    'rgba(0, 0, 0, 0)'
  );
  // The tagged cell keeps its tag, badge and result.
  await expect(badge).toHaveText(ran);

  // The sidebar shows the cluster the kernel made at lumi, with its worker.
  const panel = await openSidebar(page);
  const lumiCluster = card(panel, LUMI).locator(
    '.jp-DaskSites-cluster[data-status="RUNNING"]'
  );
  await expect(lumiCluster).toHaveCount(1);
  await expect(figure(lumiCluster, 'Workers')).toHaveText(/^[1-4]$/);
  await saveScreenshot(page, 'notebook-tagged-lumi', testInfo);

  // No default: the untagged cell runs here again, and looks as before.
  await notebookDefault.selectOption('');
  await expect(notebookDefault).toHaveValue('');
  await runCell(page, 1);
  await expect(untaggedResult).toHaveText("'local'", { timeout: 60_000 });
  await expect(untagged.locator('.jp-DaskSites-badge')).toHaveCount(0);
  await expect(untagged.locator('.jp-DaskSites-record')).toHaveCount(0);

  // Saved: the cell's tag, and no notebook default.
  await page.notebook.save();
  const saved = await request.get(
    `/api/contents/${tmpPath}/${name}?content=1&type=notebook`
  );
  expect(saved.ok()).toBe(true);
  const notebook = (await saved.json()).content;
  expect(notebook.cells[0].metadata['dask-sites']).toEqual({ site: 'lumi' });
  expect(notebook.cells[1].metadata['dask-sites']).toBeUndefined();
  expect(notebook.metadata['dask-sites']).toBeUndefined();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(
    path.join(ARTIFACTS, name),
    JSON.stringify(notebook, null, 1) + '\n'
  );
});

test('dashboard panes of two sites side by side', async ({
  page
}, testInfo) => {
  const panel = await openSidebar(page);
  const central = clusterRow(card(panel, CENTRAL));
  await expect(central).toHaveAttribute('data-status', 'RUNNING');
  // lumi's cluster: the one the kernel made for the tagged cell.
  const lumi = card(panel, LUMI)
    .locator('.jp-DaskSites-cluster[data-status="RUNNING"]')
    .first();
  await expect(lumi).toHaveCount(1);
  const lumiName = (await lumi.getAttribute('aria-label'))!.replace(
    /^Cluster /,
    ''
  );

  await openPlot(central, 'Status');
  await openPlot(lumi, 'Task stream');

  // Each pane's title names its site, cluster and plot.
  const tabs = [
    page.getByRole('tab', { name: `central · ${CLUSTER} · Status` }),
    page.getByRole('tab', { name: `lumi · ${lumiName} · Task stream` })
  ];
  // Each frame is on the dashboard proxy, under the base URL.
  const frames = [
    page.locator('.jp-DaskSites-dashboard iframe[src*="/dashboard/central/"]'),
    page.locator('.jp-DaskSites-dashboard iframe[src*="/dashboard/lumi/"]')
  ];
  const proxy = (site: string, plot: string) =>
    new RegExp(
      `^(http://127\\.0\\.0\\.1:\\d+)?${BASE_PATH}dask-sites/dashboard/${site}/[^/]+/${plot}$`
    );
  await expect(frames[0]).toHaveAttribute('src', proxy('central', 'status'));
  await expect(frames[1]).toHaveAttribute(
    'src',
    proxy('lumi', 'individual-task-stream')
  );
  for (const [i, frame] of frames.entries()) {
    await expect(tabs[i]).toBeVisible();
    await expect(frame).toBeVisible();
    const document = await bokehRendered(frame);
    expect(await document.title()).toMatch(/dask/i);
    // The link led to a capability URL, and the page has an opaque origin.
    expect(document.url()).toMatch(CAPABILITY_URL);
    expect(await document.evaluate(() => window.origin)).toBe('null');
  }
  // Side by side (another cluster's pane opens beside the current one), both
  // shown at once.
  const [left, right] = await Promise.all(frames.map(f => f.boundingBox()));
  expect(left && right && right.x >= left.x + left.width - 1).toBe(true);

  await saveScreenshot(page, 'dashboards-central-and-lumi', testInfo);

  // Both panes come back after a reload (layout restorer).
  // (Galata's reload would wait for the Launcher to be the current tab.)
  await page.reload({ waitForIsReady: false } as Record<string, unknown>);
  for (const [i, frame] of frames.entries()) {
    await expect(tabs[i]).toBeVisible();
    await bokehRendered(frame);
  }
});

test('a hostile dashboard page cannot act as the user, and real dashboards stay live', async ({
  page,
  request
}, testInfo) => {
  // Count what dashboards stream to this page, over every frame's WebSocket
  // (from a reload on, so the restored panes' sockets are counted too).
  let streamed = 0;
  page.on('websocket', socket => {
    if (socket.url().includes('/dask-sites/frame/')) {
      socket.on('framereceived', () => {
        streamed += 1;
      });
    }
  });
  await page.reload({ waitForIsReady: false } as Record<string, unknown>);
  const panel = await openSidebar(page);
  const central = clusterRow(card(panel, CENTRAL));
  await expect(central).toHaveAttribute('data-status', 'RUNNING');
  const files = async () =>
    (
      (await (await request.get('/api/contents')).json()) as {
        content: { name: string }[];
      }
    ).content
      .map(file => file.name)
      .sort();
  const before = await files();

  // A real dashboard beside it, streaming.
  await openPlot(central, 'Status');
  const real = page.locator(
    '.jp-DaskSites-dashboard iframe[src*="/dashboard/central/"]'
  );
  await bokehRendered(real);

  // lumi's scheduler image is "compromised": its dashboard serves /hostile.
  const lumi = (
    (await (
      await request.get('/dask-sites/api/sites/lumi/clusters')
    ).json()) as {
      clusters: { name: string; status: string }[];
    }
  ).clusters.find(cluster => cluster.status === 'RUNNING');
  expect(lumi, "lumi's cluster (made for the tagged cell)").toBeDefined();
  await page.evaluate(
    async ({ id, cluster }) => {
      await (window as any).jupyterapp.commands.execute(id, {
        site: 'lumi',
        cluster,
        plot: 'hostile'
      });
    },
    { id: 'dask-sites:open-dashboard', cluster: lumi!.name }
  );
  const iframe = page.locator(
    '.jp-DaskSites-dashboard iframe[src*="/dashboard/lumi/"][src$="/hostile"]'
  );
  const hostile = (await (await iframe.elementHandle())!.contentFrame())!;
  await expect(hostile.locator('body[data-done="1"]')).toHaveCount(1, {
    timeout: 90_000
  });
  const findings = JSON.parse(
    (await hostile.locator('#findings').textContent()) ?? '{}'
  ) as Record<string, string>;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(
    path.join(ARTIFACTS, 'hostile-findings.json'),
    JSON.stringify(findings, null, 1) + '\n'
  );
  // Every attempt ran, and every one was blocked.
  expect(Object.keys(findings).sort()).toEqual([...HOSTILE_ATTEMPTS].sort());
  const succeeded = Object.entries(findings).filter(
    ([, outcome]) => !outcome.startsWith('blocked')
  );
  expect(succeeded, JSON.stringify(findings, null, 1)).toEqual([]);
  expect(hostile.url()).toMatch(CAPABILITY_URL);
  expect(await hostile.evaluate(() => window.origin)).toBe('null');

  // On the server: nothing written, the Lab still where it was, the real
  // dashboard still live, the panel still logged in.
  expect(await files()).toEqual(before);
  expect(
    (await request.get('/api/contents/hostile-was-here.txt')).status()
  ).toBe(404);
  expect(page.url()).toMatch(/\/lab/);
  const streamedSoFar = streamed;
  await expect
    .poll(() => streamed, { timeout: 30_000 })
    .toBeGreaterThan(streamedSoFar);
  await expect(central).toHaveAttribute('data-status', 'RUNNING');
  await saveScreenshot(page, 'hostile-dashboard-isolated', testInfo);
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
