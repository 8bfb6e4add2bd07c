/**
 * Checking cluster option values against the gateway's specification
 * (`GET /api/v1/options`) before a create request is sent, with the same
 * rules as `dask_gateway_server.options`, so the user gets every problem at
 * once and in plain words instead of the gateway's first `TypeError`.
 */
import type { IClusterOptionSpec } from '../../protocol';

export type OptionValues = { [field: string]: unknown };

export type OptionsResult =
  { ok: true; values: OptionValues } | { ok: false; errors: string[] };

/**
 * Check `values` against `spec`. On success, `values` holds every field of
 * the spec that has a default or a value (defaults filled in, numbers given
 * as numeric strings turned into numbers, ints as integers). Missing,
 * `undefined` or `null` values take the default.
 */
export function validateOptions(
  spec: IClusterOptionSpec[],
  values: unknown
): OptionsResult {
  if (values === undefined || values === null) {
    values = {};
  }
  if (!isPlainObject(values)) {
    return {
      ok: false,
      errors: [`options must be an object of field: value, got ${show(values)}`]
    };
  }
  const errors: string[] = [];
  const out: OptionValues = {};
  for (const option of spec) {
    let value = values[option.field];
    if (value === undefined || value === null) {
      value = option.default ?? option.spec.default;
      if (value === undefined || value === null) {
        continue;
      }
    }
    const checked = checkValue(option, value);
    if (typeof checked === 'string') {
      errors.push(`${option.field}: ${checked}`);
    } else {
      out[option.field] = checked.value;
    }
  }
  const known = new Set(spec.map(option => option.field));
  for (const field of Object.keys(values)) {
    if (!known.has(field)) {
      const names = [...known].sort().join(', ');
      errors.push(
        `${field}: unknown option (known: ${names || 'none, this site has no options'})`
      );
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, values: out };
}

/** The normalised value, or why it is wrong. */
function checkValue(
  option: IClusterOptionSpec,
  value: unknown
): { value: unknown } | string {
  const spec = option.spec;
  switch (spec.type) {
    case 'int':
    case 'float': {
      const number = toNumber(value);
      if (number === undefined) {
        return `must be ${spec.type === 'int' ? 'an integer' : 'a number'}, got ${show(value)}`;
      }
      if (spec.type === 'int' && !Number.isInteger(number)) {
        return `must be an integer, got ${show(value)}`;
      }
      if (spec.min !== undefined && spec.min !== null && number < spec.min) {
        return `${number} is below the minimum ${spec.min}`;
      }
      if (spec.max !== undefined && spec.max !== null && number > spec.max) {
        return `${number} is above the maximum ${spec.max}`;
      }
      return { value: number };
    }
    case 'bool':
      if (typeof value !== 'boolean') {
        return `must be true or false, got ${show(value)}`;
      }
      return { value };
    case 'string':
      if (typeof value !== 'string') {
        return `must be a string, got ${show(value)}`;
      }
      return { value };
    case 'select': {
      const choices = spec.options ?? [];
      if (typeof value !== 'string' || !choices.includes(value)) {
        return `${show(value)} is not one of ${choices.map(c => JSON.stringify(c)).join(', ')}`;
      }
      return { value };
    }
    case 'mapping':
      if (!isPlainObject(value)) {
        return `must be a mapping (an object of keys and values), got ${show(value)}`;
      }
      return { value };
    default:
      // A type this client does not know: let the gateway judge it.
      return { value };
  }
}

/** Numbers, and numeric strings as form fields give them. Never booleans. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : undefined;
  }
  if (
    typeof value === 'string' &&
    /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)
  ) {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (Object.getPrototypeOf(value) === Object.prototype ||
      Object.getPrototypeOf(value) === null)
  );
}

function show(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (typeof value === 'object' && value !== null) {
    return 'an object';
  }
  const text =
    typeof value === 'number'
      ? String(value)
      : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
