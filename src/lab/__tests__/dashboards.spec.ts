import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { SidecarClient } from '../api/client';
import { paneClusterState } from '../dashboards/cluster-state';
import { DashboardPane } from '../dashboards/pane';
import {
  paneCaption,
  paneId,
  paneLabel,
  readOpenArgs,
  restoreArgs
} from '../dashboards/pane-identity';
import { paneNotice } from '../dashboards/pane-notice';
import { placeNewPane } from '../dashboards/placement';
import { plotLabel } from '../dashboards/plots';
import { SitesModel } from '../model/sites-model';
import { cluster, FakeFetch, site } from './support/fakes';

const trans = nullTranslator.load('test');
const settle = () => new Promise(resolve => setTimeout(resolve, 0));

const flood = cluster({ name: 'f1ood000aa', displayName: 'flood analysis' });
const lumi = site({ name: 'lumi', label: 'LUMI (Kajaani)', clusters: [flood] });

describe('pane identity', () => {
  const names = {
    site: 'lumi',
    siteLabel: 'LUMI (Kajaani)',
    cluster: 'f1ood000aa',
    clusterName: 'flood analysis',
    plot: 'individual-task-stream'
  };

  it('names site, cluster and plot', () => {
    expect(paneLabel(names, trans)).toBe('lumi · flood analysis · Task stream');
    expect(paneLabel({ ...names, clusterName: undefined }, trans)).toBe(
      'lumi · f1ood000 · Task stream'
    );
    expect(paneCaption(names, trans)).toBe(
      'Dask dashboard "Task stream" of cluster flood analysis (f1ood000aa) at LUMI (Kajaani)'
    );
    expect(plotLabel('individual-fine-performance-metrics', trans)).toBe(
      'Fine performance metrics'
    );
  });

  it('restores from site, cluster and plot only', () => {
    expect(restoreArgs(names)).toEqual({
      site: 'lumi',
      cluster: 'f1ood000aa',
      plot: 'individual-task-stream'
    });
    expect(readOpenArgs({ site: 'lumi', cluster: 'f1ood000aa' })).toEqual({
      site: 'lumi',
      cluster: 'f1ood000aa',
      plot: 'status'
    });
    expect(readOpenArgs({ site: 'lumi' })).toBeUndefined();
    expect(readOpenArgs({ site: '', cluster: 'x' })).toBeUndefined();
    expect(
      readOpenArgs({ site: 'a', cluster: 'b', plot: '/individual-graph' })?.plot
    ).toBe('individual-graph');
  });

  it('one id per site, cluster and plot, safe for the DOM', () => {
    expect(paneId('lumi', 'f1ood000aa', 'status')).toBe(
      'dask-sites-dashboard-lumi-f1ood000aa-status'
    );
    expect(paneId('a.b', 'c', 'info/main/workers.html')).toBe(
      'dask-sites-dashboard-a_b-c-info_main_workers_html'
    );
  });
});

describe('placement', () => {
  const pane = (siteName: string, clusterName: string, attached = true) => {
    const widget = new Widget() as Widget & { site: string; cluster: string };
    widget.id = `${siteName}-${clusterName}-${Math.random()}`;
    widget.site = siteName;
    widget.cluster = clusterName;
    if (attached) {
      Widget.attach(widget, document.body);
    }
    return widget;
  };

  it('puts another cluster beside, the same cluster in a tab', () => {
    const current = pane('lumi', 'a');
    expect(
      placeNewPane(pane('central', 'b', false), { currentWidget: current })
    ).toEqual({
      ref: current.id,
      mode: 'split-right'
    });
    expect(
      placeNewPane(pane('lumi', 'a', false), { currentWidget: current })
    ).toEqual({
      ref: current.id,
      mode: 'tab-after'
    });
    expect(
      placeNewPane(pane('lumi', 'a', false), { currentWidget: null })
    ).toEqual({});
  });

  it('follows an explicit mode', () => {
    const current = pane('lumi', 'a');
    expect(
      placeNewPane(
        pane('lumi', 'a', false),
        { currentWidget: current },
        'split-bottom'
      )
    ).toEqual({ ref: current.id, mode: 'split-bottom' });
    expect(
      placeNewPane(
        pane('lumi', 'a', false),
        { currentWidget: current },
        'nonsense'
      )
    ).toEqual({ ref: current.id, mode: 'tab-after' });
  });
});

describe('cluster state and notice', () => {
  const names = { site: 'lumi', cluster: 'f1ood000aa' };

  it('knows nothing before the model loaded', () => {
    expect(paneClusterState(false, [], 'lumi', 'x')).toEqual({
      kind: 'unknown'
    });
  });

  it('follows the cluster status', () => {
    const state = (status: 'RUNNING' | 'PENDING' | 'STOPPED' | 'FAILED') =>
      paneClusterState(
        true,
        [{ ...lumi, clusters: [{ ...flood, status }] }],
        'lumi',
        'f1ood000aa'
      ).kind;
    expect(state('RUNNING')).toBe('running');
    expect(state('PENDING')).toBe('starting');
    expect(state('STOPPED')).toBe('ended');
    expect(state('FAILED')).toBe('ended');
  });

  it('a cluster the gateway no longer lists is gone, unless the site is down', () => {
    expect(
      paneClusterState(true, [{ ...lumi, clusters: [] }], 'lumi', 'f1ood000aa')
        .kind
    ).toBe('missing');
    const down = {
      ...lumi,
      clusters: [],
      reachability: { status: 'down' as const }
    };
    expect(paneClusterState(true, [down], 'lumi', 'f1ood000aa').kind).toBe(
      'unknown'
    );
    expect(paneClusterState(true, [], 'lumi', 'f1ood000aa').kind).toBe(
      'missing'
    );
  });

  it('says so when stopped, and offers a reload when back', () => {
    const stopped = paneClusterState(
      true,
      [{ ...lumi, clusters: [{ ...flood, status: 'STOPPED' }] }],
      'lumi',
      'f1ood000aa'
    );
    expect(paneNotice(stopped, names, false, trans)).toEqual({
      kind: 'ended',
      message:
        'Cluster flood analysis at lumi has stopped. Its dashboard ended with it.'
    });
    const running = paneClusterState(true, [lumi], 'lumi', 'f1ood000aa');
    expect(paneNotice(running, names, false, trans)).toBeNull();
    expect(paneNotice(running, names, true, trans)?.kind).toBe('back');
  });
});

describe('DashboardPane', () => {
  beforeAll(() => {
    // jsdom has no ResizeObserver; MainAreaWidget's toolbar wants one.
    (globalThis as any).ResizeObserver ??= class {
      observe(): void {}
      unobserve(): void {}
      disconnect(): void {}
    };
  });

  let fake: FakeFetch;
  let model: SitesModel;
  let clusters = [flood];

  beforeEach(async () => {
    clusters = [flood];
    fake = new FakeFetch().on(
      'GET',
      '/dask-sites/api/sites',
      () =>
        new Response(JSON.stringify({ sites: [{ ...lumi, clusters }] }), {
          headers: { 'Content-Type': 'application/json' }
        })
    );
    const client = new SidecarClient({ serverSettings: fake.settings() });
    model = new SitesModel({ client });
    await model.refresh();
  });

  const open = () =>
    new DashboardPane({
      site: 'lumi',
      cluster: 'f1ood000aa',
      plot: 'individual-task-stream',
      url: 'http://localhost/dask-sites/dashboard/lumi/f1ood000aa/individual-task-stream',
      model,
      trans
    });

  it('shows the page of a running cluster, titled by site, cluster and plot', () => {
    const pane = open();
    expect(pane.title.label).toBe('lumi · flood analysis · Task stream');
    expect(pane.frameUrl).toContain('/dask-sites/dashboard/lumi/f1ood000aa/');
    expect(pane.notice).toBeNull();
    const iframe = pane.node.querySelector('iframe')!;
    expect(iframe.getAttribute('sandbox')).toContain('allow-scripts');
    // An opaque origin: the page cannot act as the user on the Jupyter origin.
    expect(iframe.getAttribute('sandbox')).not.toContain('allow-same-origin');
    expect(iframe.getAttribute('sandbox')).not.toContain(
      'allow-top-navigation'
    );
    expect(iframe.getAttribute('sandbox')).not.toContain('allow-popups');
    expect(pane.restoreArgs).toEqual({
      site: 'lumi',
      cluster: 'f1ood000aa',
      plot: 'individual-task-stream'
    });
    pane.dispose();
  });

  it('replaces the page by a notice once the cluster stopped, and reloads only on request', async () => {
    const pane = open();
    clusters = [{ ...flood, status: 'STOPPED' }];
    await model.refresh();
    await settle();
    expect(pane.notice?.kind).toBe('ended');
    expect(pane.frameUrl).toBeNull();
    expect(pane.node.querySelector('iframe')!.getAttribute('src')).toBe(
      'about:blank'
    );
    expect(pane.node.textContent).toContain('has stopped');

    clusters = [flood];
    await model.refresh();
    expect(pane.notice?.kind).toBe('back');
    expect(pane.frameUrl).toBeNull();
    const reload = Array.from(pane.node.querySelectorAll('button')).find(
      b => b.textContent === 'Reload dashboard'
    )!;
    reload.click();
    expect(pane.notice).toBeNull();
    expect(pane.frameUrl).not.toBeNull();
    pane.dispose();
  });

  it('follows a renamed cluster in its title', async () => {
    const pane = open();
    clusters = [{ ...flood, displayName: 'rain' }];
    await model.refresh();
    expect(pane.title.label).toBe('lumi · rain · Task stream');
    pane.dispose();
  });
});
