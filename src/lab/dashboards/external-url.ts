/**
 * A dashboard address the user brings (e.g. a LocalCluster's
 * `http://127.0.0.1:8787/status`, or `/user/alice/proxy/8787/status` through
 * jupyter-server-proxy), checked before a pane loads it: web pages only, no
 * password in the address, and a readable name for the pane's tab.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

/** Long enough for any dashboard address, short enough for a tab's state. */
export const MAX_DASHBOARD_URL = 2_000;

/** The address as the pane loads it, or why it cannot. */
export function checkDashboardUrl(
  text: string,
  trans: TranslationBundle,
  origin: string = window.location.origin
): { url: string } | { error: string } {
  const trimmed = text.trim();
  if (!trimmed) {
    return { error: trans.__('enter the address of a Dask dashboard') };
  }
  if (trimmed.length > MAX_DASHBOARD_URL) {
    return {
      error: trans.__(
        'the address is %1 characters long; at most %2 are accepted',
        trimmed.length,
        MAX_DASHBOARD_URL
      )
    };
  }
  let url: URL;
  try {
    // A path ("/proxy/8787/status") is on this server.
    url = new URL(trimmed, trimmed.startsWith('/') ? origin : undefined);
  } catch {
    return {
      error: trans.__(
        'not an address: write it as http://host:port/status or /proxy/8787/status'
      )
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      error: trans.__(
        'only http and https addresses open in a pane (not %1)',
        url.protocol
      )
    };
  }
  if (url.username || url.password) {
    return {
      error: trans.__(
        'the address holds a user name or password; leave it out (the pane would keep it)'
      )
    };
  }
  return { url: url.href };
}

/** The pane's tab: "127.0.0.1:8787 · status". */
export function externalPaneLabel(url: string): string {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/^\/+|\/+$/g, '');
  return path ? `${parsed.host} · ${path}` : parsed.host;
}

/** One pane per address: its DOM id. */
export function externalPaneId(url: string): string {
  let hash = 0;
  for (let i = 0; i < url.length; i++) {
    hash = (Math.imul(hash, 31) + url.charCodeAt(i)) | 0;
  }
  return `dask-sites-external-dashboard-${(hash >>> 0).toString(36)}`;
}
