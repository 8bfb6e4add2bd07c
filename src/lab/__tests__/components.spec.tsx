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
import { cluster, FakeFetch, json, site } from './support/fakes';

jest.mock('@jupyterlab/apputils', () => ({
  ...jest.requireActual('@jupyterlab/apputils'),
  showDialog: jest.fn()
}));

const trans = nullTranslator.load('jupyterlab_dask_sites');
const settle = () => act(() => new Promise(resolve => setTimeout(resolve, 0)));

describe('SitesPanel', () => {
  let fake: FakeFetch;
  let model: SitesModel;
  let commands: CommandRegistry;
  let dashboards: unknown[];

  const central = site({ clusters: [cluster()] });
  const leonardo = site({
    name: 'leonardo',
    label: 'Leonardo (Bologna)',
    loginKey: 'issuer-b',
    login: { status: 'logged-out' },
    reachability: { status: 'down', error: 'connect ECONNREFUSED 127.0.0.1:9' }
  });

  async function show(sites: ISiteState[]): Promise<void> {
    fake.on('GET', '/dask-sites/api/sites', { sites });
    render(<SitesPanel model={model} commands={commands} trans={trans} />);
    await act(() => model.refresh());
  }

  beforeEach(() => {
    fake = new FakeFetch();
    model = new SitesModel({
      client: new SidecarClient({ serverSettings: fake.settings() })
    });
    commands = new CommandRegistry();
    dashboards = [];
    commands.addCommand(CommandIDs.openDashboard, {
      execute: args => {
        dashboards.push(args);
      }
    });
    (showDialog as jest.Mock).mockReset();
  });

  it('shows one card per site: label, gateway version, who is logged in, why a site is down', async () => {
    await show([central, leonardo]);
    const cards = screen.getAllByRole('region');
    expect(cards.map(c => c.getAttribute('data-site'))).toEqual([
      'central',
      'leonardo'
    ]);
    const c = within(cards[0]);
    expect(c.getByRole('heading', { name: 'Central (Warsaw)' })).toBeTruthy();
    expect(c.getByText('gateway 2026.3.0')).toBeTruthy();
    expect(c.getByText('alice')).toBeTruthy();
    expect(
      c.getByText(/session ends in 2 h 59 min|session ends in 3 h/)
    ).toBeTruthy();
    expect(cards[0].getAttribute('style')).toContain('#1f77b4');

    const l = within(cards[1]);
    expect(
      l.getByText('Unreachable: connect ECONNREFUSED 127.0.0.1:9')
    ).toBeTruthy();
    const newCluster = l.getByRole('button', { name: /New cluster/ });
    expect((newCluster as HTMLButtonElement).disabled).toBe(true);
    expect(newCluster.getAttribute('title')).toMatch(
      /Leonardo \(Bologna\) cannot be reached/
    );
  });

  it('says what to do when no site is configured, and when the server fails', async () => {
    await show([]);
    expect(screen.getByText(/No sites are configured/)).toBeTruthy();
    fake.on('GET', '/dask-sites/api/sites', () =>
      json(500, { error: 'registry.json: sites[0].gateway: required' })
    );
    await act(() => model.refresh());
    expect(screen.getByRole('alert').textContent).toContain(
      'registry.json: sites[0].gateway: required'
    );
  });

  it('device flow: code, link, copy button and a live wait', async () => {
    const pending = {
      status: 'pending' as const,
      flow: 'device' as const,
      userCode: 'WXYZ-1234',
      verificationUri: 'http://issuer.test/device',
      verificationUriComplete: 'http://issuer.test/device?user_code=WXYZ-1234',
      expiresAt: Date.now() + 300_000
    };
    fake.on('POST', '/dask-sites/api/sites/leonardo/login', pending);
    await show([{ ...leonardo, reachability: { status: 'up' } }]);
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await settle();
    expect(screen.getByLabelText('Login code').textContent).toBe('WXYZ-1234');
    expect(
      screen.getByRole('link', { name: 'http://issuer.test/device' })
    ).toHaveProperty('href', pending.verificationUriComplete);
    expect(screen.getByRole('button', { name: 'Copy the code' })).toBeTruthy();
    expect(
      screen.getByText(/Waiting for you to log in… \(expires in 5:00\)/)
    ).toBeTruthy();
    // While pending, cluster actions say why they wait.
    expect(
      screen.getByRole('button', { name: /New cluster/ }).getAttribute('title')
    ).toBe('Finish logging in to Leonardo (Bologna) first');
  });

  it('code flow: opens the authorization URL in a popup', async () => {
    const open = jest.spyOn(window, 'open').mockReturnValue(null);
    fake.on('POST', '/dask-sites/api/sites/leonardo/login', {
      status: 'pending',
      flow: 'code',
      authorizationUrl: 'http://issuer.test/auth?x=1',
      expiresAt: Date.now() + 300_000
    });
    await show([{ ...leonardo, reachability: { status: 'up' } }]);
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await settle();
    expect(open).toHaveBeenCalledWith(
      'http://issuer.test/auth?x=1',
      'dask-sites-login',
      expect.any(String)
    );
    expect(
      screen.getByRole('button', { name: 'Open login page' })
    ).toBeTruthy();
    open.mockRestore();
  });

  it('a cluster: figures, scale, dashboard, use for kernels', async () => {
    fake
      .on(
        'POST',
        '/dask-sites/api/sites/central/clusters/c0ffee00aa/scale',
        cluster()
      )
      .on('PUT', '/dask-sites/api/sites/central/chosen-cluster', {
        ...central,
        chosenCluster: 'c0ffee00aa'
      });
    await show([central]);
    const row = within(
      screen.getByRole('listitem', { name: 'Cluster c0ffee00' })
    );
    expect(row.getByText('running')).toBeTruthy();
    expect(row.getByText('537 MB / 4.29 GB')).toBeTruthy();
    expect(row.getByText('5 min')).toBeTruthy();

    fireEvent.change(row.getByLabelText('Workers'), { target: { value: '3' } });
    fireEvent.click(row.getByRole('button', { name: 'Scale' }));
    await settle();
    expect(fake.requests.at(-1)?.body).toEqual({ count: 3 });

    fireEvent.click(row.getByRole('button', { name: 'Status' }));
    fireEvent.click(row.getByRole('button', { name: 'Task stream' }));
    expect(dashboards).toEqual([
      { site: 'central', cluster: 'c0ffee00aa', plot: 'status' },
      { site: 'central', cluster: 'c0ffee00aa', plot: 'individual-task-stream' }
    ]);

    fireEvent.click(row.getByRole('button', { name: 'Use for kernels' }));
    await settle();
    expect(row.getByRole('button', { name: 'Used by kernels' })).toBeTruthy();
  });

  it('after a logout or a restart: says why, and keeps the clusters as last seen', async () => {
    await show([
      {
        ...central,
        login: {
          status: 'logged-out',
          reason:
            'Dask Sites restarted and did not keep this login; log in again'
        },
        clustersAsOf: Date.UTC(2026, 11, 7, 9, 30),
        clusters: [cluster({ live: undefined })]
      }
    ]);
    expect(
      screen.getByText(
        'Dask Sites restarted and did not keep this login; log in again'
      )
    ).toBeTruthy();
    expect(
      screen.getByText(
        /^As last seen at .*: these clusters may still be running/
      )
    ).toBeTruthy();
    const row = within(
      screen.getByRole('listitem', { name: 'Cluster c0ffee00' })
    );
    expect(row.getByText('running — log in to manage')).toBeTruthy();
    expect(
      (row.getByRole('button', { name: /Stop/ }) as HTMLButtonElement).disabled
    ).toBe(true);
    // No scaling and no figures for a cluster it cannot see now.
    expect(row.queryByRole('spinbutton')).toBeNull();
    expect(row.queryByText('waiting…')).toBeNull();
  });

  it('marks a cluster made for kernels, and when it will stop', async () => {
    await show([
      {
        ...central,
        clusters: [
          cluster({ forKernels: { kernels: 2 } }),
          cluster({
            name: 'beef0000bb',
            displayName: 'beef0000',
            forKernels: { kernels: 0, stopsAt: Date.UTC(2026, 11, 7, 10, 0) }
          })
        ]
      }
    ]);
    const used = within(
      screen.getByRole('listitem', { name: 'Cluster c0ffee00' })
    ).getByText('for kernels');
    expect(used.getAttribute('title')).toContain('2 using it now');
    const ending = within(
      screen.getByRole('listitem', { name: 'Cluster beef0000' })
    ).getByText(/^for kernels · stops /);
    expect(ending.getAttribute('title')).toContain('have all ended');
  });

  it('marks a running cluster whose scheduler does not answer', async () => {
    await show([
      {
        ...central,
        clusters: [
          cluster({
            unreachable: { since: 1, reason: 'HTTP 502 from the gateway' }
          })
        ]
      }
    ]);
    const row = within(
      screen.getByRole('listitem', { name: 'Cluster c0ffee00' })
    );
    const chip = row.getByText('not answering');
    expect(chip.getAttribute('title')).toContain('HTTP 502 from the gateway');
    expect(chip.getAttribute('title')).toContain('stop it and start a new one');
  });

  it('checks scale input before sending', async () => {
    await show([central]);
    const row = within(
      screen.getByRole('listitem', { name: 'Cluster c0ffee00' })
    );
    fireEvent.change(row.getByLabelText('Minimum workers'), {
      target: { value: '5' }
    });
    fireEvent.change(row.getByLabelText('Maximum workers'), {
      target: { value: '2' }
    });
    fireEvent.click(row.getByRole('button', { name: 'Adapt' }));
    expect(row.getByRole('alert').textContent).toBe(
      'The minimum must not exceed the maximum'
    );
    expect(fake.requests).toHaveLength(1); // only the site list
  });

  it('stop asks first, and does nothing when cancelled', async () => {
    fake.on(
      'DELETE',
      '/dask-sites/api/sites/central/clusters/c0ffee00aa',
      () => new Response(null, { status: 204 })
    );
    await show([central]);
    (showDialog as jest.Mock).mockResolvedValueOnce({
      button: { accept: false }
    });
    fireEvent.click(screen.getByRole('button', { name: /Stop/ }));
    await settle();
    expect(showDialog).toHaveBeenCalledTimes(1);
    expect(fake.requests).toHaveLength(1);

    (showDialog as jest.Mock).mockResolvedValueOnce({
      button: { accept: true }
    });
    fireEvent.click(screen.getByRole('button', { name: /Stop/ }));
    await settle();
    expect(fake.requests.at(-1)?.method).toBe('DELETE');
    expect(screen.getByText('stopping')).toBeTruthy();
  });

  it('a stopped cluster cannot be stopped again, and says why', async () => {
    await show([{ ...central, clusters: [cluster({ status: 'STOPPED' })] }]);
    const stop = screen.getByRole('button', {
      name: /Stop/
    }) as HTMLButtonElement;
    expect(stop.disabled).toBe(true);
    expect(stop.title).toBe('The cluster has already ended (STOPPED)');
    const dashboard = screen.getByRole('button', {
      name: 'Task stream'
    }) as HTMLButtonElement;
    expect(dashboard.disabled).toBe(true);
    expect(dashboard.getAttribute('title')).toBe(
      'The cluster is not running (STOPPED)'
    );
  });

  it('renames inline with Enter', async () => {
    fake.on(
      'PATCH',
      '/dask-sites/api/sites/central/clusters/c0ffee00aa',
      cluster({ displayName: 'flood' })
    );
    await show([central]);
    fireEvent.click(
      screen.getByRole('button', { name: 'Rename cluster c0ffee00' })
    );
    const input = screen.getByLabelText('Cluster name');
    fireEvent.change(input, { target: { value: 'flood' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await settle();
    expect(fake.requests.at(-1)?.body).toEqual({ displayName: 'flood' });
    expect(screen.getByText('flood')).toBeTruthy();
  });

  it.each([
    [
      'a 500-character paste',
      'x'.repeat(500),
      'at most 64 characters (this one has 500)'
    ],
    ['blanks', '   ', 'a name cannot be empty (Escape keeps the old one)']
  ])(
    'refuses a rename to %s in place, saying why, and sends nothing',
    async (_what, typed, message) => {
      await show([central]);
      fireEvent.click(
        screen.getByRole('button', { name: 'Rename cluster c0ffee00' })
      );
      const input = screen.getByLabelText('Cluster name') as HTMLInputElement;
      fireEvent.change(input, { target: { value: typed } });
      expect(input.value).toBe(typed); // nothing cut while typing
      fireEvent.keyDown(input, { key: 'Enter' });
      await settle();
      expect(screen.getByRole('alert').textContent).toBe(message);
      expect(input.getAttribute('aria-invalid')).toBe('true');
      expect(fake.requests.some(r => r.method === 'PATCH')).toBe(false);
      // Escape keeps the old name.
      fireEvent.keyDown(input, { key: 'Escape' });
      expect(screen.queryByRole('alert')).toBeNull();
      expect(screen.getByText('c0ffee00')).toBeTruthy();
    }
  );

  it('shows an action’s error on its own row, with the server’s words', async () => {
    fake.on(
      'POST',
      '/dask-sites/api/sites/central/clusters/c0ffee00aa/scale',
      () =>
        json(409, {
          error: 'central: log in again (the refresh token was refused)',
          code: 'login-needed'
        })
    );
    await show([central]);
    fireEvent.click(screen.getByRole('button', { name: 'Scale' }));
    await settle();
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Scaling failed:');
    expect(alert.textContent).toContain('the refresh token was refused');
    expect(
      within(alert).getByRole('button', { name: 'Log in again' })
    ).toBeTruthy();
    fireEvent.click(
      within(alert).getByRole('button', { name: 'Dismiss this message' })
    );
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('new cluster: a form from the option spec, checked before it is sent', async () => {
    const created = cluster({ name: 'new1', displayName: 'flood' });
    fake
      .on('GET', '/dask-sites/api/sites/central/options', {
        options: [
          {
            field: 'worker_cores',
            label: 'Worker cores',
            default: 1,
            spec: { type: 'int', min: 1, max: 2 }
          },
          {
            field: 'worker_memory',
            label: 'Worker memory',
            default: 2,
            spec: { type: 'float', min: 0.5, max: 4 }
          }
        ]
      })
      .on('POST', '/dask-sites/api/sites/central/clusters', () =>
        json(201, created)
      )
      .on('POST', '/dask-sites/api/sites/central/clusters/new1/scale', created);
    await show([{ ...central, clusters: [] }]);
    expect(screen.getByText('No clusters running.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: /New cluster/ }));
    await settle();

    const form = within(
      screen.getByRole('form', { name: 'New cluster at Central (Warsaw)' })
    );
    const cores = form.getByLabelText(/Worker cores/) as HTMLInputElement;
    expect(cores.value).toBe('1');
    expect(form.getByText('(1 to 2)')).toBeTruthy();
    fireEvent.change(cores, { target: { value: '3' } });
    fireEvent.click(form.getByRole('button', { name: 'Create' }));
    expect(form.getByRole('alert').textContent).toBe('must be at most 2');
    expect(cores.getAttribute('aria-invalid')).toBe('true');
    expect(fake.requests.filter(r => r.method === 'POST')).toHaveLength(0);

    fireEvent.change(cores, { target: { value: '2' } });
    fireEvent.change(form.getByLabelText(/Name/), {
      target: { value: 'flood' }
    });
    fireEvent.click(form.getByRole('button', { name: 'Create' }));
    await settle();
    await settle();
    const posts = fake.requests.filter(r => r.method === 'POST');
    expect(posts.map(r => r.body)).toEqual([
      {
        options: { worker_cores: 2, worker_memory: 2 },
        displayName: 'flood',
        wait: true
      },
      { count: 1 }
    ]);
    expect(screen.queryByRole('form', { name: /^New cluster/ })).toBeNull();
    expect(screen.getByText('flood')).toBeTruthy();
  });
});
