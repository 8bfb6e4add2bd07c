/** Clusters from the panel: create one from the options form, scale it, with honest feedback. */
import {
  card,
  CENTRAL,
  CLUSTER,
  clusterRow,
  expect,
  figure,
  inOrder,
  openSidebar,
  saveInBothThemes,
  saveScreenshot,
  test
} from './support/lab';

inOrder();

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

test('scaling says what is wrong inline, and when the site caps a request', async ({
  page
}, testInfo) => {
  const panel = await openSidebar(page);
  const row = clusterRow(card(panel, CENTRAL));
  await expect(row).toHaveAttribute('data-status', 'RUNNING');
  const workers = row.getByRole('spinbutton', { name: 'Workers', exact: true });
  const scale = row.getByRole('button', { name: 'Scale', exact: true });
  // The input shows the figure it knows (1), never a guess.
  await expect(workers).toHaveValue('1');

  // Bad numbers: one inline message (no browser bubble), on the input.
  for (const [typed, said] of [
    ['-1', 'Workers: must be 0 or more'],
    ['2.5', 'Workers: enter a whole number']
  ]) {
    await workers.fill(typed);
    await scale.click();
    await expect(row.getByRole('alert')).toHaveText(said);
    await expect(workers).toHaveAttribute('aria-invalid', 'true');
    // (The alert itself shows the browser did not block the submit with a bubble.)
  }
  // The whole "2.5" fits in the input.
  expect(
    await workers.evaluate(
      input => input.scrollWidth <= (input as HTMLInputElement).clientWidth
    )
  ).toBe(true);
  await saveInBothThemes(page, row, 'cluster-scale-invalid', testInfo);
  // Typing again clears it.
  await workers.fill('3');
  await expect(row.getByRole('alert')).toHaveCount(0);

  // Above the site's cap (4 workers per cluster): it scales to 4 and says so.
  await workers.fill('10000');
  await scale.click();
  await expect(
    row.getByRole('status').filter({ hasText: 'Asked for' })
  ).toHaveText(
    'Asked for 10000 workers; this site allows at most 4 per cluster, so it scales to 4.'
  );
  await saveInBothThemes(page, row, 'cluster-scale-capped', testInfo);
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
