import { nullTranslator } from '@jupyterlab/translation';

import type { IClusterOptionSpec } from '../../protocol';
import {
  checkCount,
  checkOptions,
  initialValues
} from '../model/cluster-options';
import { DEFAULT_SETTINGS, readSettings } from '../model/settings';
import schema from '../../../schema/plugin.json';

const trans = nullTranslator.load('jupyterlab_dask_sites');

const specs: IClusterOptionSpec[] = [
  {
    field: 'worker_cores',
    label: 'Worker cores',
    default: 1,
    spec: { type: 'int', min: 1, max: 2 }
  },
  {
    field: 'worker_memory',
    label: 'Worker memory (GiB)',
    default: 2,
    spec: { type: 'float', min: 0.5, max: 4 }
  },
  {
    field: 'image',
    label: 'Image',
    default: 'small',
    spec: { type: 'select', options: ['small', 'large'] }
  },
  { field: 'gpu', label: 'GPU', default: false, spec: { type: 'bool' } },
  {
    field: 'queue',
    label: 'Queue',
    default: 'normal',
    spec: { type: 'string' }
  },
  {
    field: 'env',
    label: 'Environment',
    default: { A: '1' },
    spec: { type: 'mapping' }
  }
];

describe('cluster options form', () => {
  it('starts from the defaults', () => {
    expect(initialValues(specs)).toEqual({
      worker_cores: '1',
      worker_memory: '2',
      image: 'small',
      gpu: false,
      queue: 'normal',
      env: '{"A":"1"}'
    });
  });

  it('turns valid input into typed values', () => {
    const result = checkOptions(
      specs,
      {
        ...initialValues(specs),
        worker_cores: '2',
        worker_memory: '0.5',
        gpu: true
      },
      trans
    );
    expect(result).toEqual({
      ok: true,
      values: {
        worker_cores: 2,
        worker_memory: 0.5,
        image: 'small',
        gpu: true,
        queue: 'normal',
        env: { A: '1' }
      }
    });
  });

  it('reports every problem at once, per field', () => {
    const result = checkOptions(
      specs,
      {
        ...initialValues(specs),
        worker_cores: '1.5',
        worker_memory: '8',
        image: 'huge',
        env: '[1]'
      },
      trans
    );
    expect(result).toEqual({
      ok: false,
      errors: {
        worker_cores: 'enter a whole number',
        worker_memory: 'must be at most 4',
        image: 'choose one of: small, large',
        env: 'enter a JSON object, e.g. {"KEY": "value"}'
      }
    });
    expect(
      checkOptions(specs, { ...initialValues(specs), worker_cores: '0' }, trans)
    ).toMatchObject({
      ok: false,
      errors: { worker_cores: 'must be at least 1' }
    });
  });

  it('checks worker counts', () => {
    expect(checkCount('3', trans)).toEqual({ value: 3 });
    expect(checkCount('', trans)).toEqual({ error: 'enter a whole number' });
    expect(checkCount('-1', trans)).toEqual({ error: 'must be 0 or more' });
    expect(checkCount('20000', trans)).toEqual({
      error: 'must be at most 10000'
    });
  });
});

describe('settings', () => {
  it('falls back to the defaults', () => {
    expect(readSettings(null)).toEqual(DEFAULT_SETTINGS);
    const fake = {
      get: (key: string) => ({
        composite: { confirmStop: false, defaultWorkers: -2 }[key]
      })
    };
    expect(readSettings(fake as never)).toEqual({
      ...DEFAULT_SETTINGS,
      confirmStop: false
    });
  });
});

describe('schema/plugin.json', () => {
  it('declares exactly the settings the panel reads, with the same defaults', () => {
    const defaults = Object.fromEntries(
      Object.entries(
        schema.properties as { [key: string]: { default: unknown } }
      ).map(([key, value]) => [key, value.default])
    );
    expect(defaults).toEqual(DEFAULT_SETTINGS);
  });
});
