/**
 * Logging out: the panel says first which sites the logout covers, and
 * afterwards keeps the clusters that still run in view (and the panes'
 * titles); logging in again brings them back under the user's control.
 */
import {
  approveDeviceLogin,
  card,
  CENTRAL,
  CLUSTER,
  clusterRow,
  expect,
  figure,
  inOrder,
  LUMI,
  openPlot,
  openSidebar,
  saveInBothThemes,
  test
} from './support/lab';

inOrder();

test('log out of the sites sharing a login, keep their clusters in view, log in again', async ({
  page
}, testInfo) => {
  const panel = await openSidebar(page);
  const central = card(panel, CENTRAL);
  const row = clusterRow(central);
  await expect(row).toHaveAttribute('data-status', 'RUNNING');
  await openPlot(row, 'Status');
  const tab = page.getByRole('tab', { name: `central · ${CLUSTER} · Status` });
  await expect(tab).toBeVisible();

  // Before: which sites the logout covers. Saying no changes nothing.
  const logOut = central.getByRole('button', { name: 'Log out', exact: true });
  await expect(logOut).toHaveAttribute(
    'title',
    `Log out of ${CENTRAL} and ${LUMI}`
  );
  await logOut.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Log out of 2 sites?');
  await expect(dialog).toContainText(
    `${CENTRAL} and ${LUMI} share one login, so logging out of ${CENTRAL} logs out of all of them.`
  );
  await dialog.getByRole('button', { name: 'Stay logged in' }).click();
  await expect(central).toContainText('Logged in as alice');

  await logOut.click();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: 'Log out of all' })
    .click();

  // After: both sites logged out, their clusters still listed as running.
  await expect(central).toContainText('Not logged in', { timeout: 30_000 });
  await expect(card(panel, LUMI)).toContainText('Not logged in');
  await expect(row.locator('.jp-DaskSites-status')).toHaveText(
    'running — log in to manage'
  );
  await expect(
    card(panel, LUMI).locator('.jp-DaskSites-status[data-last-seen]')
  ).toHaveText(['running — log in to manage']);
  await expect(central).toContainText('As last seen at');
  await expect(
    row.getByRole('button', { name: 'Stop', exact: true })
  ).toBeDisabled();
  // The pane keeps its title.
  await expect(tab).toBeVisible();
  await saveInBothThemes(page, panel, 'sidebar-logged-out-last-seen', testInfo);

  // Log in again: the clusters are the user's to manage again.
  await central.getByRole('button', { name: 'Log in', exact: true }).click();
  await approveDeviceLogin(page, central);
  await expect(central).toContainText('Logged in as alice', {
    timeout: 60_000
  });
  await expect(row.locator('.jp-DaskSites-status')).toHaveText('running', {
    timeout: 30_000
  });
  await expect(figure(row, 'Workers')).toHaveText('2', { timeout: 60_000 });
});
