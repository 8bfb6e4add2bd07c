/** The end: stop the central cluster from the panel, after confirming. */
import {
  card,
  CENTRAL,
  CLUSTER,
  clusterRow,
  expect,
  inOrder,
  openSidebar,
  test
} from './support/lab';

inOrder();

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
