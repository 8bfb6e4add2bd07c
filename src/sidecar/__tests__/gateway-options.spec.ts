import type { IClusterOptionSpec } from '../../protocol';
import { validateOptions } from '../gateway/options';
import { TESTBED_OPTIONS as TESTBED } from './fakes/gateway-http';

const MORE: IClusterOptionSpec[] = [
  ...TESTBED,
  {
    field: 'profile',
    label: 'Profile',
    default: 'small',
    spec: { type: 'select', options: ['small', 'large'] }
  },
  { field: 'gpu', label: 'GPU', default: false, spec: { type: 'bool' } },
  {
    field: 'image',
    label: 'Image',
    default: 'dask:latest',
    spec: { type: 'string' }
  },
  {
    field: 'env',
    label: 'Environment',
    default: {},
    spec: { type: 'mapping' }
  },
  { field: 'queue', label: 'Queue', default: null, spec: { type: 'string' } }
];

describe('validateOptions', () => {
  it('fills defaults', () => {
    expect(validateOptions(TESTBED, {})).toEqual({
      ok: true,
      values: { worker_cores: 1, worker_memory: 1.0 }
    });
    expect(validateOptions(TESTBED, undefined)).toEqual({
      ok: true,
      values: { worker_cores: 1, worker_memory: 1.0 }
    });
    expect(validateOptions(TESTBED, { worker_cores: null })).toEqual({
      ok: true,
      values: { worker_cores: 1, worker_memory: 1.0 }
    });
  });

  it('keeps valid values and turns numeric strings into numbers', () => {
    expect(
      validateOptions(TESTBED, { worker_cores: '2', worker_memory: '2.5' })
    ).toEqual({ ok: true, values: { worker_cores: 2, worker_memory: 2.5 } });
    expect(validateOptions(TESTBED, { worker_cores: 2.0 })).toEqual({
      ok: true,
      values: { worker_cores: 2, worker_memory: 1 }
    });
  });

  it('says which bound a number crosses', () => {
    expect(validateOptions(TESTBED, { worker_memory: 9 })).toEqual({
      ok: false,
      errors: ['worker_memory: 9 is above the maximum 4']
    });
    expect(
      validateOptions(TESTBED, { worker_memory: 0.25, worker_cores: 0 })
    ).toEqual({
      ok: false,
      errors: [
        'worker_cores: 0 is below the minimum 1',
        'worker_memory: 0.25 is below the minimum 0.5'
      ]
    });
  });

  it('wants integers for int options', () => {
    expect(validateOptions(TESTBED, { worker_cores: 1.5 })).toEqual({
      ok: false,
      errors: ['worker_cores: must be an integer, got 1.5']
    });
    expect(validateOptions(TESTBED, { worker_cores: 'two' })).toEqual({
      ok: false,
      errors: ['worker_cores: must be an integer, got "two"']
    });
    expect(validateOptions(TESTBED, { worker_cores: true })).toEqual({
      ok: false,
      errors: ['worker_cores: must be an integer, got true']
    });
    expect(validateOptions(TESTBED, { worker_memory: Number.NaN })).toEqual({
      ok: false,
      errors: ['worker_memory: must be a number, got NaN']
    });
  });

  it('names unknown options and the known ones', () => {
    expect(validateOptions(TESTBED, { colour: 'red' })).toEqual({
      ok: false,
      errors: ['colour: unknown option (known: worker_cores, worker_memory)']
    });
    expect(validateOptions([], { colour: 'red' })).toEqual({
      ok: false,
      errors: ['colour: unknown option (known: none, this site has no options)']
    });
  });

  it('checks select, bool, string and mapping options', () => {
    expect(
      validateOptions(MORE, {
        profile: 'huge',
        gpu: 'yes',
        image: 3,
        env: ['A=1']
      })
    ).toEqual({
      ok: false,
      errors: [
        'profile: "huge" is not one of "small", "large"',
        'gpu: must be true or false, got "yes"',
        'image: must be a string, got 3',
        'env: must be a mapping (an object of keys and values), got a list'
      ]
    });
    expect(
      validateOptions(MORE, { profile: 'large', gpu: true, env: { A: '1' } })
    ).toEqual({
      ok: true,
      values: {
        worker_cores: 1,
        worker_memory: 1,
        profile: 'large',
        gpu: true,
        image: 'dask:latest',
        env: { A: '1' }
      }
    });
  });

  it('reports every problem at once', () => {
    const result = validateOptions(TESTBED, {
      worker_cores: 3,
      worker_memory: 'lots',
      colour: 'red'
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toHaveLength(3);
  });

  it('wants an object', () => {
    expect(validateOptions(TESTBED, [1, 2])).toEqual({
      ok: false,
      errors: ['options must be an object of field: value, got a list']
    });
  });
});
