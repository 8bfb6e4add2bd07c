/**
 * Data without keys, in the browser: a notebook whose kernel holds no storage
 * key reads two sites' arrays and aggregates two sites' station tables, each
 * site reducing its own data; the records under the cells say where.
 */
import { expect, inOrder, runCell, saveScreenshot, test } from './support/lab';

inOrder();

// One statement per line: the notebook editor indents what is typed into it.
const NO_KEYS = [
  'import os, xarray as xr, dask.dataframe as dd',
  "sorted(k for k in os.environ if k in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'))"
].join('\n');
const ARRAYS = [
  "flood = xr.open_zarr('s3://central-gfm/flood_extent.zarr')",
  "rain = xr.open_zarr('s3://lumi-era5/rainfall.zarr')",
  'round(float(flood.flood_extent.mean() * rain.tp.mean()), 3)'
].join('\n');
const TABLES = [
  'stations = dd.concat([',
  "dd.read_parquet('s3://central-stations/observations.parquet'),",
  "dd.read_parquet('s3://lumi-stations/observations.parquet')])",
  "stations.groupby('station').temperature.mean().compute().round(1).to_dict()"
].join('\n');

const result = (cell: import('@playwright/test').Locator) =>
  cell.locator('.jp-OutputArea-executeResult .jp-OutputArea-output');

test('a kernel without keys reads two sites arrays and tables where they live', async ({
  page
}, testInfo) => {
  await page.notebook.createNew('data.ipynb');
  await page.notebook.setCell(0, 'code', NO_KEYS);
  await runCell(page, 0);
  const first = (await page.notebook.getCellLocator(0))!;
  await expect(result(first)).toHaveText('[]', { timeout: 60_000 });

  await page.notebook.addCell('code', ARRAYS);
  await runCell(page, 1);
  const arrays = (await page.notebook.getCellLocator(1))!;
  await expect(result(arrays)).toHaveText(/^\d+\.\d+$/, { timeout: 240_000 });
  const arraysRecord = arrays.locator('.jp-DaskSites-record');
  await expect(arraysRecord).toHaveText(/^ran at /);
  await expect(arraysRecord).toContainText('central');
  await expect(arraysRecord).toContainText('lumi');
  await expect(arrays.locator('.jp-DaskSites-badge')).toHaveText(/^auto/);

  await page.notebook.addCell('code', TABLES);
  await runCell(page, 2);
  const tables = (await page.notebook.getCellLocator(2))!;
  await expect(result(tables)).toContainText("'", { timeout: 240_000 });
  const tablesRecord = tables.locator('.jp-DaskSites-record');
  await expect(tablesRecord).toContainText('central');
  await expect(tablesRecord).toContainText('lumi');
  // No key in what the page shows.
  await expect(page.locator('.jp-Notebook')).not.toContainText(
    /ASIA[A-Z0-9]{16}/
  );
  await saveScreenshot(
    page.locator('.jp-NotebookPanel'),
    'notebook-data-without-keys',
    testInfo
  );
});
