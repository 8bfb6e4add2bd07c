/**
 * Dashboards: panes of two sites side by side, restored after reloads
 * (with the panel's figures coming back by themselves), every plot the
 * scheduler offers, the full dashboard in a tab, and any dashboard address.
 */
import * as fs from 'fs';
import * as path from 'path';

import {
  BASE_PATH,
  bokehRendered,
  CAPABILITY_URL,
  card,
  CENTRAL,
  CLUSTER,
  clusterRow,
  expect,
  figure,
  inOrder,
  layoutSaved,
  LUMI,
  openPlot,
  openSidebar,
  saveInBothThemes,
  runningCluster,
  saveScreenshot,
  test
} from './support/lab';

inOrder();

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

test('after reloads with a pane active, the panel never shows a number it does not know, and its figures come back', async ({
  page
}, testInfo) => {
  // Every value the cluster's Workers input ever holds, from the first
  // moment of each page.
  await page.addInitScript(name => {
    const seen: string[] = [];
    (window as any).__workersSeen = seen;
    setInterval(() => {
      document
        .querySelectorAll<HTMLInputElement>(
          `[aria-label="Cluster ${name}"] .jp-DaskSites-scaling > form:first-child input`
        )
        .forEach(input => seen.push(input.value));
    }, 25);
  }, CLUSTER);
  const panel = await openSidebar(page);
  const row = clusterRow(card(panel, CENTRAL));
  await expect(figure(row, 'Workers')).toHaveText('2', { timeout: 60_000 });
  const saved = layoutSaved(page, 'dask-sites-dashboards');
  await openPlot(row, 'Status');
  const tab = page.getByRole('tab', { name: `central · ${CLUSTER} · Status` });
  await expect(tab).toHaveAttribute('aria-selected', 'true');
  await saved;

  for (let round = 1; round <= 5; round++) {
    await page.reload({ waitForIsReady: false } as Record<string, unknown>);
    const again = clusterRow(
      card(page.getByRole('region', { name: 'Dask Sites' }), CENTRAL)
    );
    // The pane is the active tab, and the panel shows the live figures
    // without being hidden and shown again.
    await expect(tab).toHaveAttribute('aria-selected', 'true');
    await expect(figure(again, 'Workers'), `round ${round}`).toHaveText('2', {
      timeout: 20_000
    });
    await expect(
      again.getByRole('spinbutton', { name: 'Workers', exact: true })
    ).toHaveValue('2');
    const seen: string[] = await page.evaluate(
      () => (window as any).__workersSeen
    );
    expect(seen.length, `round ${round}: inputs were seen`).toBeGreaterThan(0);
    expect(
      seen.filter(value => value !== '' && value !== '2'),
      `round ${round}: the Workers input showed only what the panel knew`
    ).toEqual([]);
  }
});

test('every plot the scheduler offers, searchable; the full dashboard in a tab; any dashboard address in a pane', async ({
  page,
  request
}, testInfo) => {
  const panel = await openSidebar(page);
  const row = clusterRow(card(panel, CENTRAL));
  await expect(row).toHaveAttribute('data-status', 'RUNNING');
  await row.getByText('Dashboards', { exact: true }).click();
  const plots = row.getByRole('list', { name: 'Dashboard plots' });
  // The scheduler's own list: far more than the usual ten.
  await expect
    .poll(() => plots.getByRole('button').count(), { timeout: 30_000 })
    .toBeGreaterThan(20);
  const search = row.getByRole('searchbox', { name: 'Search plots' });
  await search.fill('bandwidth');
  const found = plots.getByRole('button');
  await expect(found.first()).toBeVisible();
  for (const name of await found.allTextContents()) {
    expect(name.toLowerCase()).toContain('bandwidth');
  }
  await saveInBothThemes(page, row, 'cluster-plot-search', testInfo);
  await search.fill('no such plot');
  await expect(plots).toContainText('No plot matches "no such plot".');
  await search.fill('worker memory');
  await plots.getByRole('button').first().click();
  const pane = page.locator(
    '.jp-DaskSites-dashboard iframe[src$="/individual-workers-memory"]'
  );
  await bokehRendered(pane);

  // The full dashboard opens in a browser tab, through the same proxy.
  const [tab] = await Promise.all([
    page.context().waitForEvent('page'),
    row.getByRole('link', { name: 'Full dashboard ↗' }).click()
  ]);
  await tab.waitForLoadState();
  expect(tab.url()).toMatch(CAPABILITY_URL);
  expect(tab.url()).toMatch(/\/status$/);
  await expect(tab).toHaveTitle(/dask/i);
  expect(await tab.evaluate(() => window.origin)).toBe('null');
  await tab.close();

  // Any dashboard address: here the gateway's own address of lumi's cluster,
  // as a user of dask_gateway would have it (`cluster.dashboard_link`).
  const lumi = await runningCluster(request, 'lumi');
  expect(lumi, "lumi's cluster").toBeDefined();
  const registry = JSON.parse(
    fs.readFileSync(
      path.join(process.env.DASK_SITES_UI_STATE_DIR!, 'registry.json'),
      'utf-8'
    )
  ) as {
    sites: {
      name: string;
      gateway: { address: string; public_address?: string };
    }[];
  };
  const gateway = registry.sites.find(site => site.name === 'lumi')!.gateway;
  const url = `${gateway.public_address ?? gateway.address}/clusters/${lumi!}/status`;
  const other = panel.locator('.jp-DaskSites-otherDashboard');
  await other.getByText('Open another dashboard').click();
  const address = other.getByRole('textbox', { name: 'Dashboard address' });
  // Not a web address: said inline, nothing opens.
  await address.fill('javascript:alert(1)');
  await other.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(other.getByRole('alert')).toHaveText(
    'only http and https addresses open in a pane (not javascript:)'
  );
  await address.fill(url);
  await expect(other.getByRole('alert')).toHaveCount(0);
  await other.getByRole('button', { name: 'Open', exact: true }).click();
  const external = page.locator(
    `.jp-DaskSites-externalDashboard iframe[src="${url}"]`
  );
  await bokehRendered(external);
  await expect(
    page.getByRole('tab', {
      name: new RegExp(`· clusters/${lumi!}/status$`)
    })
  ).toBeVisible();
  await saveInBothThemes(page, page, 'dashboard-external-url', testInfo);
});
