/** A site-tagged notebook: the cell toolbar's picker, the badge and record, the notebook's default site. */
import * as fs from 'fs';
import * as path from 'path';

import {
  ARTIFACTS,
  card,
  cellSitePicker,
  expect,
  figure,
  inOrder,
  LUMI,
  NOTEBOOK_SITE,
  openSidebar,
  runCell,
  saveScreenshot,
  test,
  WHERE
} from './support/lab';

inOrder();

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
