/**
 * The panel says only what it knows and what happened: no number before the
 * figures arrive, inline problems, the site's cap, a logout that names the
 * sites it covers, one login shown once, the scheduler's own plot list.
 */
import { showDialog } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';

import type { ISiteState } from '../../protocol';
import { SidecarClient } from '../api/client';
import { CommandIDs } from '../commands';
import { SitesPanel } from '../components/sites-panel';
import { SitesModel } from '../model/sites-model';
import { cluster, FakeFetch, site } from './support/fakes';

jest.mock('@jupyterlab/apputils', () => ({
  ...jest.requireActual('@jupyterlab/apputils'),
  showDialog: jest.fn()
}));

const trans = nullTranslator.load('jupyterlab_dask_sites');
const settle = () => act(() => new Promise(resolve => setTimeout(resolve, 0)));
const SCALE = '/dask-sites/api/sites/central/clusters/c0ffee00aa/scale';

let fake: FakeFetch;
let model: SitesModel;
let commands: CommandRegistry;
let opened: unknown[];

beforeEach(() => {
  fake = new FakeFetch();
  model = new SitesModel({
    client: new SidecarClient({ serverSettings: fake.settings() })
  });
  commands = new CommandRegistry();
  opened = [];
  commands.addCommand(CommandIDs.openDashboard, {
    execute: args => {
      opened.push(args);
    }
  });
  (showDialog as jest.Mock).mockReset();
});

async function show(sites: ISiteState[]): Promise<void> {
  fake.on('GET', '/dask-sites/api/sites', { sites });
  render(<SitesPanel model={model} commands={commands} trans={trans} />);
  await act(() => model.refresh());
}

function row(name = 'c0ffee00') {
  return within(screen.getByRole('listitem', { name: `Cluster ${name}` }));
}

describe('scaling', () => {
  it('shows no number before the figures arrive, and sends only what was typed', async () => {
    await show([site({ clusters: [cluster({ live: undefined })] })]);
    const workers = row().getByLabelText('Workers') as HTMLInputElement;
    const scale = row().getByRole('button', { name: 'Scale' });
    expect(workers.value).toBe('');
    expect(workers.placeholder).toBe('…');
    expect(scale.hasAttribute('disabled')).toBe(true);
    expect(row().getByText('waiting…')).toBeTruthy();

    fake.on('POST', SCALE, cluster());
    fireEvent.change(workers, { target: { value: '3' } });
    expect(scale.hasAttribute('disabled')).toBe(false);
    fireEvent.click(scale);
    await settle();
    expect(fake.requests.at(-1)?.body).toEqual({ count: 3 });
  });

  it.each([
    ['-1', 'Workers: '],
    ['2.5', 'Workers: '],
    ['', 'Workers: ']
  ])(
    'says inline what is wrong with %p, sends nothing, and forgets it on typing',
    async (typed, start) => {
      await show([site({ clusters: [cluster()] })]);
      const workers = row().getByLabelText('Workers') as HTMLInputElement;
      fireEvent.change(workers, { target: { value: typed } });
      fireEvent.click(row().getByRole('button', { name: 'Scale' }));
      const alert = row().getByRole('alert');
      expect(alert.textContent?.startsWith(start)).toBe(true);
      expect(workers.getAttribute('aria-invalid')).toBe('true');
      expect(workers.getAttribute('aria-describedby')).toBe(alert.id);
      expect(fake.requests.some(r => r.method === 'POST')).toBe(false);
      fireEvent.change(workers, { target: { value: '2' } });
      expect(row().queryByRole('alert')).toBeNull();
      expect(workers.hasAttribute('aria-invalid')).toBe(false);
    }
  );

  it('says when the site capped a request, until the next one', async () => {
    fake.on('POST', SCALE, {
      ...cluster(),
      limited: {
        maximum: 4,
        message:
          'Scale request of 10000 workers would exceed resource limit of 4 workers. Scaling to 4 instead.'
      }
    });
    await show([site({ clusters: [cluster()] })]);
    const workers = row().getByLabelText('Workers');
    fireEvent.change(workers, { target: { value: '10000' } });
    fireEvent.click(row().getByRole('button', { name: 'Scale' }));
    await settle();
    expect(row().getByRole('status').textContent).toBe(
      'Asked for 10000 workers; this site allows at most 4 per cluster, so it scales to 4.'
    );
    // Never kept in the model's cluster state.
    expect(model.site('central')?.clusters[0]).not.toHaveProperty('limited');
    fireEvent.change(workers, { target: { value: '3' } });
    expect(
      row().queryByText(/this site allows at most/, { exact: false })
    ).toBeNull();
  });
});

describe('logins shared by several sites', () => {
  const lumi = site({ name: 'lumi', label: 'LUMI (Kajaani)' });
  const central = site({});

  it('logout names every site it covers and asks first', async () => {
    (showDialog as jest.Mock).mockResolvedValue({ button: { accept: false } });
    await show([central, lumi]);
    const card = within(
      screen.getByRole('region', { name: 'Central (Warsaw)' })
    );
    const logout = card.getByRole('button', { name: 'Log out' });
    expect(logout.title).toBe('Log out of Central (Warsaw) and LUMI (Kajaani)');
    fireEvent.click(logout);
    await settle();
    const asked = (showDialog as jest.Mock).mock.calls[0][0];
    expect(asked.title).toBe('Log out of 2 sites?');
    expect(fake.requests.some(r => r.method === 'DELETE')).toBe(false);
  });

  it('a pending device login shows its code once, naming the sites', async () => {
    const pending = {
      status: 'pending' as const,
      flow: 'device' as const,
      userCode: 'WDJB-MJHT',
      verificationUri: 'http://127.0.0.1:9/device',
      expiresAt: Date.now() + 300_000
    };
    await show([
      site({ login: pending }),
      site({ name: 'lumi', label: 'LUMI (Kajaani)', login: pending })
    ]);
    expect(screen.getAllByText('WDJB-MJHT')).toHaveLength(1);
    expect(
      screen.getByText('One login for Central (Warsaw) and LUMI (Kajaani).')
    ).toBeTruthy();
    const other = within(
      screen.getByRole('region', { name: 'LUMI (Kajaani)' })
    );
    expect(
      other.getByText(
        'Logging in with the login shown at Central (Warsaw) (one login for Central (Warsaw) and LUMI (Kajaani)).'
      )
    ).toBeTruthy();
  });
});

describe('first steps', () => {
  it('say what to do first while no site has a cluster, ticking what is done', async () => {
    await show([site({ login: { status: 'logged-out' } })]);
    const steps = within(screen.getByRole('region', { name: 'First steps' }));
    expect(steps.getAllByRole('listitem')).toHaveLength(3);
    expect(steps.queryByText(/✓/)).toBeNull();
  });

  it('tick the login, and go once a cluster exists', async () => {
    await show([site({})]);
    const steps = within(screen.getByRole('region', { name: 'First steps' }));
    expect(steps.getAllByRole('listitem')[0].textContent).toMatch(/^✓ Log in/);
    await act(async () => {
      fake.on('GET', '/dask-sites/api/sites', {
        sites: [site({ clusters: [cluster()] })]
      });
      await model.refresh();
    });
    expect(screen.queryByRole('region', { name: 'First steps' })).toBeNull();
  });
});

describe('dashboard list', () => {
  it("offers the scheduler's plots, searchable, and opens the one chosen", async () => {
    fake.on('GET', '/dask-sites/api/sites/central/clusters/c0ffee00aa/plots', {
      plots: [
        { name: 'Task Stream', path: 'individual-task-stream' },
        { name: 'Bandwidth Workers', path: 'individual-bandwidth-workers' },
        { name: 'Gpu Memory', path: 'individual-gpu-memory' }
      ]
    });
    await show([site({ clusters: [cluster()] })]);
    const details = screen
      .getByText('Dashboards')
      .closest('details') as HTMLDetailsElement;
    details.open = true;
    await act(async () => {
      fireEvent(details, new Event('toggle'));
    });
    await settle();
    const list = within(row().getByRole('list', { name: 'Dashboard plots' }));
    // Status first, then the scheduler's list with the panel's own labels.
    expect(list.getAllByRole('button').map(b => b.textContent)).toEqual([
      'Status',
      'Task stream',
      'Bandwidth Workers',
      'Gpu Memory'
    ]);
    fireEvent.change(row().getByLabelText('Search plots'), {
      target: { value: 'BANDW' }
    });
    fireEvent.click(list.getByRole('button', { name: 'Bandwidth Workers' }));
    expect(opened).toEqual([
      {
        site: 'central',
        cluster: 'c0ffee00aa',
        plot: 'individual-bandwidth-workers'
      }
    ]);
    fireEvent.change(row().getByLabelText('Search plots'), {
      target: { value: 'nothing like it' }
    });
    expect(row().getByText('No plot matches "nothing like it".')).toBeTruthy();
  });
});
