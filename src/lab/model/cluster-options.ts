/**
 * The "new cluster" form as data: fields from a site's option spec
 * (`IClusterOptionSpec`), their initial values and the checks run before a
 * create request is sent (the same rules the sidecar applies).
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import {
  MAX_DISPLAY_NAME_LENGTH,
  type IClusterOptionSpec
} from '../../protocol';

/** What an input holds: text (numbers, strings, JSON) or a checkbox. */
export type FormValue = string | boolean;

export type FormValues = { [field: string]: FormValue };

export type OptionsCheck =
  | { ok: true; values: { [field: string]: unknown } }
  | { ok: false; errors: { [field: string]: string } };

/** The initial form: each option's default (the site's, else the gateway's). */
export function initialValues(
  specs: readonly IClusterOptionSpec[]
): FormValues {
  const values: FormValues = {};
  for (const option of specs) {
    const value = defaultOf(option);
    switch (option.spec.type) {
      case 'bool':
        values[option.field] = value === true;
        break;
      case 'mapping':
        values[option.field] =
          value === undefined || value === null ? '{}' : JSON.stringify(value);
        break;
      default:
        values[option.field] =
          value === undefined || value === null ? '' : String(value);
    }
  }
  return values;
}

/** The option's default as the gateway (or the site) gives it. */
export function defaultOf(option: IClusterOptionSpec): unknown {
  return option.default ?? option.spec.default;
}

/** Bounds of a numeric option for an input's min/max, if any. */
export function boundsOf(option: IClusterOptionSpec): {
  min?: number;
  max?: number;
} {
  const spec = option.spec;
  if (spec.type !== 'int' && spec.type !== 'float') {
    return {};
  }
  return {
    ...(typeof spec.min === 'number' ? { min: spec.min } : {}),
    ...(typeof spec.max === 'number' ? { max: spec.max } : {})
  };
}

/** Check every field at once; on success, the typed values to send. */
export function checkOptions(
  specs: readonly IClusterOptionSpec[],
  form: FormValues,
  trans: TranslationBundle
): OptionsCheck {
  const errors: { [field: string]: string } = {};
  const values: { [field: string]: unknown } = {};
  for (const option of specs) {
    const checked = checkOne(option, form[option.field], trans);
    if ('error' in checked) {
      errors[option.field] = checked.error;
    } else {
      values[option.field] = checked.value;
    }
  }
  return Object.keys(errors).length
    ? { ok: false, errors }
    : { ok: true, values };
}

/** Check a whole-number input (workers, adapt bounds): the number or why not. */
export function checkCount(
  text: string,
  trans: TranslationBundle,
  max = 10_000
): { value: number } | { error: string } {
  const trimmed = text.trim();
  const number = Number(trimmed);
  if (!trimmed || !Number.isInteger(number)) {
    return { error: trans.__('enter a whole number') };
  }
  if (number < 0) {
    return { error: trans.__('must be 0 or more') };
  }
  if (number > max) {
    return { error: trans.__('must be at most %1', max) };
  }
  return { value: number };
}

/**
 * A cluster's display name as typed: trimmed; too long is refused with the
 * limit and its length (never cut), empty is refused unless `optional`.
 */
export function checkDisplayName(
  text: string,
  trans: TranslationBundle,
  optional = false
): { value: string | undefined } | { error: string } {
  const trimmed = text.trim();
  if (!trimmed) {
    return optional
      ? { value: undefined }
      : {
          error: trans.__('a name cannot be empty (Escape keeps the old one)')
        };
  }
  if (trimmed.length > MAX_DISPLAY_NAME_LENGTH) {
    return {
      error: trans.__(
        'at most %1 characters (this one has %2)',
        MAX_DISPLAY_NAME_LENGTH,
        trimmed.length
      )
    };
  }
  return { value: trimmed };
}

function checkOne(
  option: IClusterOptionSpec,
  raw: FormValue | undefined,
  trans: TranslationBundle
): { value: unknown } | { error: string } {
  const spec = option.spec;
  switch (spec.type) {
    case 'bool':
      return { value: raw === true };
    case 'string':
      return { value: typeof raw === 'string' ? raw : '' };
    case 'select': {
      const value = typeof raw === 'string' ? raw : '';
      return spec.options.includes(value)
        ? { value }
        : { error: trans.__('choose one of: %1', spec.options.join(', ')) };
    }
    case 'int':
    case 'float': {
      const text = typeof raw === 'string' ? raw.trim() : '';
      const number = Number(text);
      if (!text || !Number.isFinite(number)) {
        return {
          error:
            spec.type === 'int'
              ? trans.__('enter a whole number')
              : trans.__('enter a number')
        };
      }
      if (spec.type === 'int' && !Number.isInteger(number)) {
        return { error: trans.__('enter a whole number') };
      }
      if (typeof spec.min === 'number' && number < spec.min) {
        return { error: trans.__('must be at least %1', spec.min) };
      }
      if (typeof spec.max === 'number' && number > spec.max) {
        return { error: trans.__('must be at most %1', spec.max) };
      }
      return { value: number };
    }
    case 'mapping': {
      const text = typeof raw === 'string' && raw.trim() ? raw : '{}';
      try {
        const value = JSON.parse(text) as unknown;
        if (value && typeof value === 'object' && !Array.isArray(value)) {
          return { value };
        }
      } catch {
        // fall through
      }
      return { error: trans.__('enter a JSON object, e.g. {"KEY": "value"}') };
    }
  }
}
