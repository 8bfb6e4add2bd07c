/** What the notebook shows of remote work: progress, the kernel's default, version chips. */
import { nullTranslator } from '@jupyterlab/translation';
import { render, screen } from '@testing-library/react';
import * as React from 'react';

import { KernelDefaults } from '../celltags/kernel-default';
import { reportedDefault } from '../celltags/kernel-reports';
import {
  PROGRESS_MIMETYPE,
  parseProgress,
  ProgressRenderer
} from '../celltags/progress-renderer';
import { VersionChip } from '../components/version-chip';

const trans = nullTranslator.load('test');

describe('progress output', () => {
  const steps = [
    {
      label: 'lumi',
      site: 'lumi',
      done: 12,
      total: 40,
      seconds: 3.2,
      state: 'running'
    },
    {
      label: 'combine here',
      site: null,
      done: null,
      total: null,
      seconds: 0.1,
      state: 'done'
    }
  ];

  it('reads the kernel’s steps and leaves out malformed ones', () => {
    expect(
      parseProgress({
        steps: [
          ...steps,
          { label: 7, state: 'running' },
          { label: 'x', state: 'exploded' },
          {
            label: '<b>x</b>',
            site: 3,
            done: -1,
            total: 'many',
            seconds: NaN,
            state: 'failed'
          }
        ]
      })
    ).toEqual([
      steps[0],
      steps[1],
      {
        label: '<b>x</b>',
        site: null,
        done: null,
        total: null,
        seconds: 0,
        state: 'failed'
      }
    ]);
    expect(parseProgress(null)).toEqual([]);
    expect(parseProgress({ steps: 'no' })).toEqual([]);
  });

  it('renders a bar per step in the site’s colour, text as text', async () => {
    const renderer = new ProgressRenderer(trans, site =>
      site === 'lumi' ? '#d62728' : undefined
    );
    await renderer.renderModel({
      data: {
        [PROGRESS_MIMETYPE]: {
          steps: [
            ...steps,
            { label: '<img src=x>', site: null, seconds: 1, state: 'failed' }
          ]
        }
      }
    } as never);
    const rows = renderer.node.querySelectorAll('.jp-DaskSites-progressStep');
    expect(rows).toHaveLength(3);
    const bar = rows[0].querySelector('progress')!;
    expect([bar.value, bar.max]).toEqual([12, 40]);
    expect(
      (rows[0] as HTMLElement).style.getPropertyValue(
        '--jp-DaskSites-site-colour'
      )
    ).toBe('#d62728');
    expect(rows[0].textContent).toContain('12/40 tasks');
    expect(rows[2].querySelector('img')).toBeNull();
    expect(rows[2].textContent).toContain('<img src=x>');
    expect(rows[2].textContent).toContain('failed');
    renderer.dispose();
  });
});

describe('the kernel’s default', () => {
  it('accepts a site name or null, nothing else', () => {
    expect(reportedDefault({ site: 'central' })).toBe('central');
    expect(reportedDefault({ site: null })).toBeNull();
    expect(reportedDefault({ site: 3 })).toBeUndefined();
    expect(reportedDefault({ site: '  ' })).toBeUndefined();
    expect(reportedDefault('central')).toBeUndefined();
    expect(reportedDefault(null)).toBeUndefined();
  });

  it('is not sent back to the kernel that reported it, until it restarts', () => {
    const defaults = new KernelDefaults();
    const sent: string[] = [];
    let onStatus: (_: unknown, status: string) => void = () => undefined;
    const kernel = {
      statusChanged: {
        connect: (slot: typeof onStatus) => {
          onStatus = slot;
          return true;
        }
      } as never,
      requestExecute: (content: { code: string }) => sent.push(content.code)
    };
    defaults.received(kernel, 'central');
    expect(defaults.beforeExecute(kernel, 'central')).toBeNull();
    // A restart forgets it: the notebook's default goes to the new kernel.
    onStatus(kernel, 'restarting');
    expect(defaults.beforeExecute(kernel, 'central')).toBe(
      '%site --from-notebook central'
    );
    expect(defaults.beforeExecute(kernel, 'lumi')).toBe(
      '%site --from-notebook lumi'
    );
    expect(sent).toEqual([
      '%site --from-notebook central',
      '%site --from-notebook lumi'
    ]);
  });
});

describe('version chip', () => {
  it('names the packages, with the versions and the fix in its tooltip', () => {
    render(
      <VersionChip
        mismatches={[
          {
            package: 'numpy',
            here: '2.4.6',
            there: '1.26.4 (scheduler)',
            fatal: false
          }
        ]}
        trans={trans}
      />
    );
    const chip = screen.getByRole('status');
    expect(chip.textContent).toBe('versions differ: numpy');
    expect(chip.title).toContain(
      'numpy: kernel 2.4.6, cluster 1.26.4 (scheduler)'
    );
    expect(chip.title).toContain('cluster image');
  });

  it('says when kernels refuse the cluster', () => {
    render(
      <VersionChip
        mismatches={[
          {
            package: 'python',
            here: '3.11.9',
            there: '3.12.1 (scheduler)',
            fatal: true
          }
        ]}
        trans={trans}
      />
    );
    expect(screen.getByRole('status').textContent).toBe('versions: unusable');
  });
});
