/** A new user's first minutes: what to do first, and one device login for the sites that share it. */
import {
  approveDeviceLogin,
  BASE_PATH,
  card,
  CENTRAL,
  expect,
  inOrder,
  LUMI,
  openSidebar,
  saveInBothThemes,
  test
} from './support/lab';

inOrder();

test('the launcher and the panel say where to start', async ({
  page
}, testInfo) => {
  // JupyterLab runs under the base URL (and so do all the extension's calls).
  await expect(page).toHaveURL(
    new RegExp(`^http://127\\.0\\.0\\.1:\\d+${BASE_PATH}lab\\b`)
  );
  // A launcher item opens the panel.
  const item = page.locator('.jp-LauncherCard', { hasText: 'Dask Sites' });
  await expect(item).toBeVisible();
  await item.click();
  const panel = page.getByRole('region', { name: 'Dask Sites' });
  await expect(panel).toBeVisible();
  const steps = panel.getByRole('region', { name: 'First steps' });
  await expect(steps).toContainText('Log in to a site');
  await expect(steps).toContainText('Tag a notebook cell');
  await saveInBothThemes(page, panel, 'sidebar-first-steps', testInfo);
});

test('one device login for the sites sharing it, shown once, approved on the issuer’s pages', async ({
  page
}, testInfo) => {
  const panel = await openSidebar(page);
  const central = card(panel, CENTRAL);
  await expect(central.locator('.jp-DaskSites-reach')).toHaveAttribute(
    'data-status',
    'up'
  );
  await expect(central).toContainText('Not logged in');

  await central.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(central.getByRole('status').first()).toContainText(
    'Waiting for you to log in'
  );
  // The code shows once, on the first card, naming every site it logs in to;
  // the other cards point to it.
  await expect(panel.getByLabel('Login code')).toHaveCount(1);
  // (The UI testbed runs central and lumi.)
  await expect(central).toContainText(`One login for ${CENTRAL} and ${LUMI}.`);
  const lumi = card(panel, LUMI);
  await expect(lumi).toContainText(
    `Logging in with the login shown at ${CENTRAL}`
  );
  await expect(lumi.getByLabel('Login code')).toHaveCount(0);
  await saveInBothThemes(page, panel, 'sidebar-device-login-once', testInfo);

  await approveDeviceLogin(page, central);

  // No reload: the sidecar's poll finishes the login and the live connection
  // tells the open panel. Sites sharing the issuer share the login.
  await expect(central).toContainText('Logged in as alice', {
    timeout: 60_000
  });
  await expect(card(panel, LUMI)).toContainText('Logged in as alice');
  await expect(central.getByRole('button', { name: 'Log out' })).toBeEnabled();
});
