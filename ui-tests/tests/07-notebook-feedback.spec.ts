/**
 * What a notebook shows of remote work: live progress that becomes the
 * record, a version difference said once and on the cluster's card, the
 * `%%site` badge, and the notebook toolbar following `%site` in a cell.
 */
import {
  card,
  expect,
  inOrder,
  LUMI,
  NOTEBOOK_SITE,
  openSidebar,
  runCell,
  saveScreenshot,
  test
} from './support/lab';

inOrder();

// One statement per line: the notebook editor indents what is typed into it.
/** This kernel says its numpy is 0.0.1: lumi's cluster has the real one. */
const OTHER_NUMPY = [
  'import distributed.versions as dv',
  '_real = dv.get_versions',
  "dv.get_versions = lambda packages=None: (lambda v: {**v, 'packages': {**v['packages'], 'numpy': '0.0.1'}})(_real(packages))"
].join('\n');
/** ~10 s of work at one worker thread. */
const SLOW = [
  '%%site lumi',
  'import dask, time',
  'nap = lambda i: (time.sleep(0.5), i)[1]',
  'sum(dask.compute(*[dask.delayed(nap)(i) for i in range(20)]))'
].join('\n');

test('a long computation at lumi shows live progress, then its record; a version difference is said', async ({
  page
}, testInfo) => {
  await page.notebook.createNew('feedback.ipynb');
  await page.notebook.setCell(0, 'code', OTHER_NUMPY);
  await runCell(page, 0);
  await page.notebook.addCell('code', SLOW);
  const cell = (await page.notebook.getCellLocator(1))!;
  const running = runCell(page, 1);

  // While lumi computes: a bar in lumi's colour, counting the scheduler's tasks.
  const progress = cell.locator('.jp-DaskSites-progress');
  await expect(progress).toBeVisible({ timeout: 150_000 });
  await expect(progress.locator('.jp-DaskSites-progressLabel')).toHaveText(
    'lumi'
  );
  await expect(progress.locator('progress')).toHaveAttribute(
    'value',
    /^[1-9]\d*$/,
    { timeout: 30_000 }
  );
  await expect(progress).toContainText(/\d+\/\d+ tasks/);
  await saveScreenshot(cell, 'notebook-progress', testInfo);

  // At the end the progress becomes the record, in place.
  await running;
  await expect(
    cell.locator('.jp-OutputArea-executeResult .jp-OutputArea-output')
  ).toHaveText('190', { timeout: 60_000 });
  await expect(progress).toHaveCount(0);
  await expect(cell.locator('.jp-DaskSites-record')).toHaveText(
    /^ran at lumi · /
  );
  // `%%site` is a tag in the code, and the badge says so.
  await expect(cell.locator('.jp-DaskSites-badge')).toHaveText(
    /^%%site → lumi$/
  );
  // The version difference, once, with both versions and the fix.
  const warning = cell.locator(
    '[data-mime-type="application/vnd.jupyter.stderr"]'
  );
  await expect(warning).toContainText(
    "numpy: this kernel 0.0.1, lumi's cluster"
  );
  await expect(warning).toContainText('image option of the new-cluster form');
  await saveScreenshot(cell, 'notebook-record-and-version-warning', testInfo);

  // The cluster's card says it too.
  const panel = await openSidebar(page);
  const chip = card(panel, LUMI).locator('.jp-DaskSites-versions');
  await expect(chip).toHaveText('versions differ: numpy');
  await expect(chip).toHaveAttribute(
    'title',
    /numpy: kernel 0\.0\.1, cluster /
  );
  await saveScreenshot(
    card(panel, LUMI),
    'sidebar-cluster-versions-differ',
    testInfo
  );
});

test('the notebook toolbar follows %site in a cell', async ({ page }) => {
  await page.notebook.createNew('default.ipynb');
  const toolbarSite = page.getByRole('combobox', {
    name: NOTEBOOK_SITE,
    exact: true
  });
  await expect(toolbarSite).toHaveValue('');
  await page.notebook.setCell(0, 'code', '%site central');
  await runCell(page, 0);
  await expect(toolbarSite).toHaveValue('central', { timeout: 60_000 });
  await page.notebook.addCell('code', '%site --off');
  await runCell(page, 1);
  await expect(toolbarSite).toHaveValue('');
});
