/**
 * What the UI tests share: the `test` fixture (Galata's, with server calls
 * under the base URL), the testbed's names, and helpers that find the
 * panel's parts, log in on the issuer's pages and save screenshots.
 *
 * The spec files run in the order of their names, one at a time, and share
 * the server's state: the login of `01-login` is used by all that follow,
 * the central cluster made in `02-clusters` is scaled, used by the
 * notebook's default site, shown beside lumi's cluster (which the kernel
 * made for the tagged cell), and stopped by `09-stop`. Each test opens a
 * fresh page, so the UI must also show state it did not create itself.
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

export const SIDEBAR_ID = 'dask-sites-sidebar';
export const CENTRAL = 'Central (Warsaw)';
export const LUMI = 'LUMI bridge (Kajaani)';
export const USER = { name: 'alice', password: 'alice-dask-sites' };
export const CLUSTER = 'ui-test central';
/** Screenshots (and the saved notebook) for people to look at: ui-tests/artifacts/. */
export const ARTIFACTS = path.resolve(__dirname, '..', '..', 'artifacts');
/** The server's base URL (`/user/alice/`), from playwright.config.ts. */
export const BASE_PATH = process.env.DASK_SITES_UI_BASE_URL ?? '/';
/** The code of the notebook's cells: where a Dask task runs. */
export const WHERE =
  "import dask, os\ndask.delayed(lambda: os.environ.get('DASK_SITES_SITE','local'))().compute()";
/** Where a dashboard link leads: a capability URL under the base URL. */
export const CAPABILITY_URL = new RegExp(
  `^http://127\\.0\\.0\\.1:\\d+${BASE_PATH}dask-sites/frame/[A-Za-z0-9_-]{43}/`
);
/** What the testbed's hostile page (lumi's schedulers, `--hostile-dashboards`) tries. */
export const HOSTILE_ATTEMPTS = [
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
export const CELL_SITE = 'Dask site of this cell (where its Dask work runs)';
export const NOTEBOOK_SITE =
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
export function underBasePath(request: APIRequestContext): APIRequestContext {
  const methods = new Set([
    'fetch',
    'get',
    'post',
    'put',
    'patch',
    'delete',
    'head'
  ]);
  return new Proxy(request, {
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
  });
}

export const test = base.extend<{ request: APIRequestContext }>({
  request: async ({ request }, use) => {
    await use(underBasePath(request));
  }
});

/**
 * Every spec file: its tests in order, one at a time; Galata mocks the
 * settings in memory, so the panel's own defaults apply (confirmStop: true,
 * defaultWorkers: 1).
 */
export function inOrder(): void {
  test.describe.configure({ mode: 'serial' });
  test.use({ mockSettings: { ...galata.DEFAULT_SETTINGS } });
}

export async function openSidebar(
  page: IJupyterLabPageFixture
): Promise<Locator> {
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

export function card(panel: Locator, label: string): Locator {
  return panel.getByRole('region', { name: label, exact: true });
}

export function clusterRow(siteCard: Locator, name = CLUSTER): Locator {
  return siteCard.getByRole('listitem', {
    name: `Cluster ${name}`,
    exact: true
  });
}

/** The value of one of a cluster's figures (Workers, Threads, Memory, ...). */
export function figure(row: Locator, term: string): Locator {
  return row
    .locator('.jp-DaskSites-figure')
    .filter({
      has: row.page().locator('dt', { hasText: new RegExp(`^${term}$`) })
    })
    .locator('dd');
}

/** Open one of a running cluster's dashboard plots from its "Dashboards" list. */
export async function openPlot(row: Locator, plot: string): Promise<void> {
  const plots = row.getByRole('list', { name: 'Dashboard plots' });
  if (!(await plots.isVisible())) {
    await row.getByText('Dashboards', { exact: true }).click();
  }
  await plots.getByRole('button', { name: plot, exact: true }).click();
}

/** Wait until the page in `iframe` has rendered a Bokeh document. */
export async function bokehRendered(iframe: Locator): Promise<Frame> {
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
export function cellSitePicker(cell: Locator): Locator {
  return cell.getByRole('combobox', { name: CELL_SITE, exact: true });
}

/** Run a cell in place, from the notebook (a picker may have the focus). */
export async function runCell(
  page: IJupyterLabPageFixture,
  index: number
): Promise<void> {
  await page.notebook.selectCells(index);
  await page.notebook.runCell(index, { inplace: true });
}

/** The name of a running cluster of `site`, as the sidecar lists it (undefined if none). */
export async function runningCluster(
  request: APIRequestContext,
  site: string
): Promise<string | undefined> {
  const answer = await request.get(`/dask-sites/api/sites/${site}/clusters`);
  const { clusters } = (await answer.json()) as {
    clusters: { name: string; status: string }[];
  };
  return clusters.find(cluster => cluster.status === 'RUNNING')?.name;
}

/**
 * Resolves once the workspace holding `text` (e.g. a pane's tracker
 * namespace) has been saved: JupyterLab saves its layout ~0.75 s after a
 * change, so a reload before that would restore the layout before it.
 * Call before the change; await after it.
 */
export function layoutSaved(page: Page, text: string): Promise<unknown> {
  return page.waitForRequest(
    request =>
      request.method() === 'PUT' &&
      request.url().includes('/api/workspaces/') &&
      (request.postData() ?? '').includes(text),
    { timeout: 15_000 }
  );
}

export async function saveScreenshot(
  target: Page | Locator,
  name: string,
  testInfo: TestInfo
): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await target.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

/**
 * Approve a device login on the issuer's pages: the link of the pending
 * login in `siteCard` opens them in a new tab; the code they ask to confirm
 * must be the one the panel shows.
 */
export async function approveDeviceLogin(
  page: IJupyterLabPageFixture,
  siteCard: Locator
): Promise<void> {
  const code = siteCard.getByLabel('Login code');
  await expect(code).toHaveText(/\S{4,}/);
  const shownCode = (await code.textContent())!.replace(/[^A-Za-z0-9]/g, '');
  const [issuer] = await Promise.all([
    page.context().waitForEvent('page'),
    siteCard.locator('.jp-DaskSites-pendingLogin a').click()
  ]);
  await expect(issuer.locator('body')).toHaveAttribute(
    'data-testbed-page',
    'device-confirm'
  );
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
}

/** Screenshots in the dark theme too: switch, shoot, switch back. */
export async function saveInBothThemes(
  page: IJupyterLabPageFixture,
  target: Page | Locator,
  name: string,
  testInfo: TestInfo
): Promise<void> {
  await saveScreenshot(target, `${name}-light`, testInfo);
  await page.theme.setDarkTheme();
  await saveScreenshot(target, `${name}-dark`, testInfo);
  await page.theme.setLightTheme();
}

export { expect, galata };
export type { IJupyterLabPageFixture };
