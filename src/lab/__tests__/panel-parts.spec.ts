/** The pure pieces behind the panel's dashboards, logins and site list. */
import { nullTranslator } from '@jupyterlab/translation';

import {
  checkDashboardUrl,
  externalPaneId,
  externalPaneLabel,
  MAX_DASHBOARD_URL
} from '../dashboards/external-url';
import { offeredPlots } from '../dashboards/plots';
import { listLabels, loginGroup } from '../model/login-group';
import {
  withCluster,
  withClusterPatch,
  withLogin,
  withSite
} from '../model/site-list';
import { cluster, site } from './support/fakes';

const trans = nullTranslator.load('test');
const ORIGIN = 'http://127.0.0.1:8888';

describe('checkDashboardUrl', () => {
  it.each([
    ['http://127.0.0.1:8787/status', 'http://127.0.0.1:8787/status'],
    ['  https://dask.example.org/status  ', 'https://dask.example.org/status'],
    ['/user/alice/proxy/8787/status', `${ORIGIN}/user/alice/proxy/8787/status`]
  ])('opens %p as %p', (text, url) => {
    expect(checkDashboardUrl(text, trans, ORIGIN)).toEqual({ url });
  });

  it.each([
    ['', /enter the address/],
    ['javascript:alert(1)', /only http and https/],
    ['data:text/html,<b>x</b>', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['http://alice:secret@127.0.0.1:8787/status', /user name or password/],
    ['not a url', /not an address/],
    [`http://a/${'x'.repeat(MAX_DASHBOARD_URL)}`, /at most 2000 are accepted/]
  ])('refuses %p, saying why', (text, why) => {
    const checked = checkDashboardUrl(text, trans, ORIGIN);
    expect('error' in checked && checked.error).toMatch(why);
  });

  it('names panes by host and path, one id per address', () => {
    expect(externalPaneLabel('http://127.0.0.1:8787/status')).toBe(
      '127.0.0.1:8787 · status'
    );
    expect(externalPaneLabel('http://127.0.0.1:8787/')).toBe('127.0.0.1:8787');
    const a = externalPaneId('http://127.0.0.1:8787/status');
    expect(a).toMatch(/^dask-sites-external-dashboard-[a-z0-9]+$/);
    expect(externalPaneId('http://127.0.0.1:8787/status')).toBe(a);
    expect(externalPaneId('http://127.0.0.1:8788/status')).not.toBe(a);
  });
});

describe('offeredPlots', () => {
  it('puts Status first, once, and keeps the known labels', () => {
    expect(
      offeredPlots(
        [
          { name: 'Status', path: 'status' },
          { name: 'Task Stream', path: 'individual-task-stream' },
          {
            name: 'Aggregate Time Per Action',
            path: 'individual-aggregate-time-per-action'
          }
        ],
        trans
      )
    ).toEqual([
      { path: 'status', label: 'Status' },
      { path: 'individual-task-stream', label: 'Task stream' },
      {
        path: 'individual-aggregate-time-per-action',
        label: 'Aggregate Time Per Action'
      }
    ]);
  });
});

describe('login groups', () => {
  const central = site({});
  const lumi = site({ name: 'lumi', label: 'LUMI' });
  const leo = site({ name: 'leo', label: 'LEONARDO' });
  const other = site({ name: 'other', label: 'Other', loginKey: 'issuer-b' });

  it('are the sites sharing a login key, in panel order', () => {
    expect(loginGroup([central, other, lumi], lumi)).toEqual([central, lumi]);
    expect(loginGroup([central, other], other)).toEqual([other]);
  });

  it('are listed the way a sentence lists them', () => {
    expect(listLabels([central], 'and')).toBe('Central (Warsaw)');
    expect(listLabels([central, lumi, leo], 'and')).toBe(
      'Central (Warsaw), LUMI and LEONARDO'
    );
    expect(listLabels([], 'and')).toBe('');
  });
});

describe('site list updates', () => {
  const c1 = cluster();
  const central = site({ clusters: [c1] });
  const lumi = site({ name: 'lumi', label: 'LUMI' });
  const other = site({ name: 'other', loginKey: 'issuer-b' });

  it('replace or add a site, never changing the list given', () => {
    const sites = [central];
    expect(withSite(sites, lumi)).toEqual([central, lumi]);
    expect(withSite(sites, { ...central, label: 'C' })[0].label).toBe('C');
    expect(sites).toEqual([central]);
  });

  it('give a login to every site sharing it', () => {
    const out = withLogin([central, lumi, other], 'lumi', {
      status: 'logged-out'
    });
    expect(out.map(s => s.login.status)).toEqual([
      'logged-out',
      'logged-out',
      'logged-in'
    ]);
  });

  it('replace, add and patch clusters of known sites only', () => {
    const c2 = cluster({ name: 'beef0000aa' });
    expect(withCluster([central], 'central', c2)[0].clusters).toEqual([c1, c2]);
    expect(
      withCluster([central], 'central', { ...c1, displayName: 'x' })[0]
        .clusters[0].displayName
    ).toBe('x');
    expect(withCluster([central], 'mars', c2)).toEqual([central]);
    const patched = withClusterPatch([central], 'central', c1.name, {
      status: 'STOPPING'
    });
    expect(patched[0].clusters[0]).toEqual({ ...c1, status: 'STOPPING' });
    expect(withClusterPatch([central], 'central', 'nope', {})).toEqual([
      central
    ]);
  });
});
