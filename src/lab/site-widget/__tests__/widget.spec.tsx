import type { DOMWidgetView, WidgetModel } from '@jupyter-widgets/base';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';

import type { ISiteState } from '../../../protocol';
import { SidecarClient } from '../../api/client';
import { SitesModel } from '../../model/sites-model';
import { cluster, FakeFetch, site } from '../../__tests__/support/fakes';
import { SiteWidgetContent } from '../content';
import { MODULE_NAME, MODULE_VERSION } from '../version';
import { siteWidgetExports, SiteWidgetModel } from '../view';

import packageJson from '../../../../package.json';

const trans = nullTranslator.load('jupyterlab_dask_sites');
const settle = () => act(() => new Promise(resolve => setTimeout(resolve, 0)));

const central = site({ clusters: [cluster()] });
const lumi = site({
  name: 'lumi',
  label: 'LUMI (Kajaani)',
  colour: '#2ca02c',
  clusters: []
});

describe('the site widget', () => {
  let fake: FakeFetch;
  let model: SitesModel;
  let commands: CommandRegistry;

  async function load(sites: ISiteState[]): Promise<void> {
    fake.on('GET', '/dask-sites/api/sites', { sites });
    await act(() => model.refresh());
  }

  beforeEach(() => {
    fake = new FakeFetch();
    model = new SitesModel({
      client: new SidecarClient({ serverSettings: fake.settings() })
    });
    commands = new CommandRegistry();
  });

  it('is registered under the npm package name and version', () => {
    expect(MODULE_NAME).toBe(packageJson.name);
    expect(MODULE_VERSION).toBe(packageJson.version);
  });

  it('says which sites exist when the kernel names an unknown one', async () => {
    render(
      <SiteWidgetContent
        model={model}
        site="mars"
        commands={commands}
        trans={trans}
      />
    );
    expect(screen.getByRole('status').textContent).toBe('Loading site mars…');
    await load([central, lumi]);
    expect(screen.getByRole('status').textContent).toBe(
      'Dask Sites has no site "mars". Known sites: central, lumi.'
    );
  });

  it("shows the site's card: no cluster yet, and a way to start one", async () => {
    await load([central, lumi]);
    render(
      <SiteWidgetContent
        model={model}
        site="lumi"
        commands={commands}
        trans={trans}
      />
    );
    const card = screen.getByRole('region', { name: 'LUMI (Kajaani)' });
    expect(within(card).getByText('No clusters running.')).toBeTruthy();
    expect(
      within(card).getByRole('button', { name: /New cluster/ })
    ).toBeTruthy();
    expect(screen.queryByText('Central (Warsaw)')).toBeNull();
  });

  it('shows a running cluster with live figures; Scale calls the sidecar', async () => {
    fake.on(
      'POST',
      '/dask-sites/api/sites/central/clusters/c0ffee00aa/scale',
      cluster({ live: { ...cluster().live!, workers: 3 } })
    );
    await load([central, lumi]);
    render(
      <SiteWidgetContent
        model={model}
        site="central"
        commands={commands}
        trans={trans}
      />
    );
    const row = within(
      screen.getByRole('listitem', { name: 'Cluster c0ffee00' })
    );
    expect(row.getByText('running')).toBeTruthy();
    expect(row.getByText('537 MB / 4.29 GB')).toBeTruthy();
    expect(
      row.getByText('Workers', { selector: 'dt' }).nextSibling?.textContent
    ).toBe('2');

    fireEvent.change(row.getByLabelText('Workers'), { target: { value: '3' } });
    fireEvent.click(row.getByRole('button', { name: 'Scale' }));
    await settle();
    const scale = fake.requests.at(-1);
    expect(scale?.path).toBe(
      '/dask-sites/api/sites/central/clusters/c0ffee00aa/scale'
    );
    expect(scale?.body).toEqual({ count: 3 });
    expect(
      row.getByText('Workers', { selector: 'dt' }).nextSibling?.textContent
    ).toBe('3');
  });

  describe('the ipywidgets view', () => {
    function createView(siteName: string): DOMWidgetView {
      const exports = siteWidgetExports({
        sites: { client: model.client, model },
        commands,
        trans
      });
      const widgetModel = new SiteWidgetModel(
        { site: siteName },
        { model_id: 'm1', widget_manager: {} as any }
      );
      const View = exports.SiteWidgetView as unknown as new (options: {
        model: WidgetModel;
      }) => DOMWidgetView;
      const view = new View({ model: widgetModel });
      act(() => {
        view.render();
      });
      return view;
    }

    it('syncs only the site name, with the module names of the Python class', () => {
      const defaults = new SiteWidgetModel(
        {},
        { model_id: 'm0', widget_manager: {} as any }
      ).defaults();
      expect(defaults).toMatchObject({
        _model_name: 'SiteWidgetModel',
        _view_name: 'SiteWidgetView',
        _model_module: 'jupyterlab-dask-sites',
        _view_module: 'jupyterlab-dask-sites',
        site: ''
      });
    });

    it('renders its site, follows the model, and keeps the sites live while shown', async () => {
      await load([central, lumi]);
      const view = createView('central');
      expect(model.active).toBe(false);

      act(() => Widget.attach(view.luminoWidget, document.body));
      expect(model.active).toBe(true); // the live socket runs for the widget
      expect(
        within(view.el).getByRole('region', { name: 'Central (Warsaw)' })
      ).toBeTruthy();

      act(() => {
        view.model.set('site', 'lumi');
      });
      expect(
        within(view.el).getByRole('region', { name: 'LUMI (Kajaani)' })
      ).toBeTruthy();

      // The panel hides: the widget still holds the model live.
      model.setActive(true);
      model.setActive(false);
      expect(model.active).toBe(true);

      act(() => Widget.detach(view.luminoWidget));
      expect(model.active).toBe(false);
      act(() => view.remove());
      expect(view.el.childNodes).toHaveLength(0);
    });
  });
});
