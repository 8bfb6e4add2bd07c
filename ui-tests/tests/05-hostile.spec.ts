/** Dashboard pages run code their site controls: a hostile one cannot act as the user. */
import * as fs from 'fs';
import * as path from 'path';

import {
  ARTIFACTS,
  bokehRendered,
  CAPABILITY_URL,
  card,
  CENTRAL,
  clusterRow,
  expect,
  HOSTILE_ATTEMPTS,
  inOrder,
  openPlot,
  openSidebar,
  runningCluster,
  saveScreenshot,
  test
} from './support/lab';

inOrder();

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
  const lumi = await runningCluster(request, 'lumi');
  expect(lumi, "lumi's cluster (made for the tagged cell)").toBeDefined();
  await page.evaluate(
    async ({ id, cluster }) => {
      await (window as any).jupyterapp.commands.execute(id, {
        site: 'lumi',
        cluster,
        plot: 'hostile'
      });
    },
    { id: 'dask-sites:open-dashboard', cluster: lumi! }
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
