import { nullTranslator } from '@jupyterlab/translation';

import { badgeFor } from '../celltags/badge-state';
import { defaultSiteCode, KernelDefaults } from '../celltags/kernel-default';
import { getSite, METADATA_KEY, setSite, siteOf } from '../celltags/metadata';
import {
  findRecord,
  formatRecord,
  formatSeconds,
  parseRecord,
  RECORD_MIMETYPE
} from '../celltags/record';
import { RecordRenderer } from '../celltags/record-renderer';
import { FakeKernel, FakeMetadataModel } from './support/fakes';

const trans = nullTranslator.load('test');

/** What the kernel publishes (jupyter_ext_server/kernel/record.py). */
const kernelRecord = {
  route: 'lumi',
  source: 'cell metadata',
  sites: ['lumi'],
  runs: [{ site: 'lumi', seconds: 0.8, bytes_back: 1229, computations: 1 }],
  bytesBack: 1229,
  seconds: 0.8
};

describe('cell metadata', () => {
  it('reads the site of a dask-sites entry', () => {
    expect(siteOf({ site: 'lumi' })).toBe('lumi');
    expect(siteOf({ site: '  lumi ' })).toBe('lumi');
    expect(siteOf({ site: '' })).toBeNull();
    expect(siteOf({ site: 3 })).toBeNull();
    expect(siteOf('lumi')).toBeNull();
    expect(siteOf(['lumi'])).toBeNull();
    expect(siteOf(undefined)).toBeNull();
  });

  it('sets, keeps other fields, and removes the key when empty', () => {
    const model = new FakeMetadataModel();
    expect(getSite(model)).toBeNull();
    expect(setSite(model, 'lumi')).toBe(true);
    expect(model.data[METADATA_KEY]).toEqual({ site: 'lumi' });
    expect(getSite(model)).toBe('lumi');
    expect(setSite(model, 'lumi')).toBe(false);
    expect(model.writes).toBe(1);

    model.data[METADATA_KEY] = { site: 'lumi', note: 'keep' };
    setSite(model, null);
    expect(model.data[METADATA_KEY]).toEqual({ note: 'keep' });
    setSite(model, 'central');
    expect(model.data[METADATA_KEY]).toEqual({ note: 'keep', site: 'central' });

    model.data[METADATA_KEY] = { site: 'central' };
    setSite(model, '');
    expect(METADATA_KEY in model.data).toBe(false);
    const writes = model.writes;
    expect(setSite(model, null)).toBe(false);
    expect(model.writes).toBe(writes);
  });
});

describe('run records', () => {
  it('parses what the kernel publishes', () => {
    expect(parseRecord(kernelRecord)).toEqual({
      route: 'lumi',
      source: 'cell metadata',
      sites: ['lumi'],
      runs: [{ site: 'lumi', seconds: 0.8, bytesBack: 1229, computations: 1 }],
      bytesBack: 1229,
      seconds: 0.8,
      hops: [],
      mixedAt: null
    });
  });

  it('says where a split was mixed and what crossed', () => {
    const record = parseRecord({
      ...kernelRecord,
      source: 'data location',
      mixedAt: 'central',
      hops: [
        { from: 'lumi', to: 'here', bytes: 4 },
        { from: 'here', to: 'central', bytes: 4 },
        { from: 'central', to: 'here', bytes: 24576 },
        { from: 3, to: 'here', bytes: 1 }
      ]
    })!;
    expect(record.hops).toHaveLength(3);
    expect(formatRecord(record, trans)).toBe(
      'ran at lumi · 0.8 s · 1.23 kB back; mixed at central (lumi → this kernel 4 B, ' +
        'this kernel → central 4 B, central → this kernel 24.6 kB)'
    );
  });

  it('refuses what is not a record, and skips broken runs', () => {
    expect(parseRecord(null)).toBeNull();
    expect(parseRecord('ran at lumi')).toBeNull();
    expect(parseRecord({ source: 'x' })).toBeNull();
    const record = parseRecord({
      route: null,
      source: 'data location',
      runs: [{ seconds: 1 }, { site: 'central', seconds: -1, bytes_back: 'x' }]
    });
    expect(record?.runs).toEqual([
      { site: 'central', seconds: 0, bytesBack: 0, computations: 1 }
    ]);
    expect(record?.sites).toEqual(['central']);
    expect(record?.route).toBeNull();
  });

  it('finds the last record among outputs', () => {
    const outputs = (items: { [mime: string]: unknown }[]) => ({
      length: items.length,
      get: (i: number) => ({ data: items[i] })
    });
    expect(findRecord(outputs([{ 'text/plain': '2' }]))).toBeNull();
    const found = findRecord(
      outputs([
        { [RECORD_MIMETYPE]: { ...kernelRecord, route: 'central' } },
        { 'text/plain': "'lumi'" },
        { [RECORD_MIMETYPE]: kernelRecord, 'text/plain': 'Dask Sites: ...' }
      ])
    );
    expect(found?.route).toBe('lumi');
    expect(findRecord(null)).toBeNull();
  });

  it('formats one compact line', () => {
    expect(formatRecord(parseRecord(kernelRecord)!, trans)).toBe(
      'ran at lumi · 0.8 s · 1.23 kB back'
    );
    expect(formatSeconds(0.01)).toBe('<0.1 s');
    expect(formatSeconds(12.4)).toBe('12 s');
    expect(formatSeconds(125)).toBe('2 min 5 s');
    expect(
      formatRecord(parseRecord({ ...kernelRecord, runs: [] })!, trans)
    ).toBe('no Dask work ran');
  });

  it('renders the record instead of its text fallback', async () => {
    const renderer = new RecordRenderer(trans);
    renderer._colour = site => (site === 'lumi' ? '#d62728' : undefined);
    await renderer.renderModel({
      data: { [RECORD_MIMETYPE]: kernelRecord, 'text/plain': 'fallback' }
    } as any);
    expect(renderer.node.textContent).toBe(
      'ran at lumi · 0.8 s · 1.23 kB back'
    );
    const dot = renderer.node.querySelector(
      '.jp-DaskSites-recordDot'
    ) as HTMLElement;
    expect(dot.style.getPropertyValue('--jp-DaskSites-site-colour')).toBe(
      '#d62728'
    );
    renderer.dispose();
  });
});

describe('badges', () => {
  const record = parseRecord(kernelRecord);

  it('untagged cells without a remote run get none', () => {
    expect(badgeFor({ site: null, record: null }, trans)).toBeNull();
    const local = parseRecord({
      route: null,
      source: 'local',
      sites: [],
      runs: [{ site: 'local', seconds: 1, bytes_back: 10 }]
    });
    expect(badgeFor({ site: null, record: local }, trans)).toBeNull();
  });

  it('names the tagged site, then where it ran', () => {
    expect(badgeFor({ site: 'lumi', record: null }, trans)).toMatchObject({
      kind: 'tagged',
      site: 'lumi',
      text: 'lumi'
    });
    expect(badgeFor({ site: 'lumi', record }, trans)).toMatchObject({
      kind: 'tagged',
      text: 'lumi · 0.8 s · 1.23 kB back',
      title: 'Tagged lumi; last run: ran at lumi · 0.8 s · 1.23 kB back.'
    });
  });

  it('says when work ran elsewhere than the tag', () => {
    const split = parseRecord({
      ...kernelRecord,
      sites: ['lumi', 'central'],
      runs: [
        { site: 'lumi', seconds: 0.5, bytes_back: 100 },
        { site: 'central', seconds: 0.3, bytes_back: 100 }
      ],
      bytesBack: 200
    });
    expect(badgeFor({ site: 'lumi', record: split }, trans)?.text).toBe(
      'lumi · ran at lumi, central · 0.8 s · 200 B back'
    );
  });

  it('ignores a record of a run under another tag', () => {
    expect(badgeFor({ site: 'central', record }, trans)?.text).toBe('central');
  });

  it('marks automatic routing discreetly', () => {
    const auto = parseRecord({
      ...kernelRecord,
      route: null,
      source: 'data location'
    });
    expect(badgeFor({ site: null, record: auto }, trans)).toMatchObject({
      kind: 'auto',
      site: 'lumi',
      text: 'auto → lumi'
    });
    const byDefault = parseRecord({
      ...kernelRecord,
      source: 'notebook default'
    });
    expect(badgeFor({ site: null, record: byDefault }, trans)?.text).toBe(
      'default → lumi'
    );
    const byMagic = parseRecord({ ...kernelRecord, source: 'cell magic' });
    expect(badgeFor({ site: null, record: byMagic }, trans)?.text).toBe(
      '%%site → lumi'
    );
  });
});

describe('notebook default in the kernel', () => {
  it('writes only safe site names', () => {
    expect(defaultSiteCode('lumi')).toBe('%site --from-notebook lumi');
    expect(defaultSiteCode(null)).toBe('%site --from-notebook --off');
    expect(defaultSiteCode('lumi; import os')).toBeNull();
  });

  it('sends a silent %site only when the default changes', () => {
    const defaults = new KernelDefaults();
    const kernel = new FakeKernel();
    // Never set: a %site the user ran stays.
    expect(defaults.beforeExecute(kernel as any, null)).toBeNull();
    expect(defaults.beforeExecute(kernel as any, 'lumi')).toBe(
      '%site --from-notebook lumi'
    );
    expect(defaults.beforeExecute(kernel as any, 'lumi')).toBeNull();
    expect(kernel.sent).toEqual([
      {
        code: '%site --from-notebook lumi',
        silent: true,
        store_history: false,
        stop_on_error: false
      }
    ]);
    expect(defaults.beforeExecute(kernel as any, null)).toBe(
      '%site --from-notebook --off'
    );
    expect(defaults.sentTo(kernel as any)).toBeNull();
  });

  it('sends again after a restart', () => {
    const defaults = new KernelDefaults();
    const kernel = new FakeKernel();
    defaults.beforeExecute(kernel as any, 'central');
    kernel.statusChanged.emit('restarting');
    expect(defaults.sentTo(kernel as any)).toBeUndefined();
    expect(defaults.beforeExecute(kernel as any, 'central')).toBe(
      '%site --from-notebook central'
    );
  });
});
