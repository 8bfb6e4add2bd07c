/**
 * Loading and validating the site registry document.
 *
 * The JSON Schema in `jupyter_ext_server/registry/` is authoritative (the
 * Python side uses the same file); esbuild inlines it into the bundle.
 * Errors are turned into one line per problem that names the site and the
 * field, e.g. `site "lumi": gateway.address: must be a URL`.
 */
import { readFile } from 'node:fs/promises';

import Ajv, { type ErrorObject } from 'ajv';

import type { ISiteRegistry } from '../protocol';
import schema from '../../jupyter_ext_server/registry/site-registry.schema.json';
import { hostProblems } from './registry-hosts';

export type RegistryResult =
  { ok: true; registry: ISiteRegistry } | { ok: false; errors: string[] };

/** Messages for patterns of the schema, keyed by the pattern itself. */
const PATTERN_MESSAGES: { [pattern: string]: string } = {
  [schema.definitions.httpUrl.pattern]: 'must be a URL (http:// or https://)',
  [schema.definitions.site.properties.name.pattern]:
    `must be a lowercase slug such as "central" ` +
    `(${schema.definitions.site.properties.name.pattern})`,
  [schema.definitions.site.properties.colour.pattern]:
    'must be a colour like "#1f77b4"',
  [schema.definitions.site.properties.gateway.properties.proxy_address.pattern]:
    'must be a gateway://host:port or tls://host:port address'
};

const ajv = new Ajv({
  allErrors: true,
  verbose: true,
  strict: true,
  allowUnionTypes: true
});
const validateSchema = ajv.compile(schema);

export interface IRegistryRules {
  /** Accept link-local and cloud-metadata hosts (see `registry-hosts.ts`). */
  allowLinkLocalHosts?: boolean;
}

/** Validate a parsed registry document. */
export function validateRegistry(
  doc: unknown,
  rules: IRegistryRules = {}
): RegistryResult {
  if (!validateSchema(doc)) {
    const errors = unique(
      relevantErrors(validateSchema.errors ?? []).map(e => describe(doc, e))
    );
    return { ok: false, errors };
  }
  const registry = doc as unknown as ISiteRegistry;
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const site of registry.sites) {
    if (seen.has(site.name)) {
      errors.push(`site "${site.name}": name: is used by more than one site`);
    }
    seen.add(site.name);
    if (
      site.data?.credentials?.type === 'sts-web-identity' &&
      site.auth.type !== 'oidc'
    ) {
      errors.push(
        `site "${site.name}": data.credentials: sts-web-identity needs ` +
          `auth.type "oidc" (the keys are exchanged for the login's access token)`
      );
    }
  }
  if (!errors.length && !rules.allowLinkLocalHosts) {
    errors.push(...hostProblems(registry));
  }
  return errors.length ? { ok: false, errors } : { ok: true, registry };
}

/** Read, parse and validate a registry file. */
export async function loadRegistry(
  path: string,
  rules: IRegistryRules = {}
): Promise<RegistryResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [`cannot read ${path}: ${errorText(err)}`] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`${path} is not JSON: ${errorText(err)}`] };
  }
  return validateRegistry(doc, rules);
}

/**
 * Drop the noise of `oneOf` (auth): keep only the errors of the branch whose
 * `type` matches the document, or one error about `type` if none does.
 */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const drop: { instancePath: string; schemaPath: string }[] = [];
  const extra: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword !== 'oneOf' || !Array.isArray(e.schema)) {
      continue;
    }
    const branches = e.schema as IBranch[];
    const types = branches.map(b => b.properties?.type?.const);
    if (types.some(t => t === undefined)) {
      continue; // not a discriminated union: leave ajv's errors as they are
    }
    const data = e.data as { type?: unknown } | null;
    const isObject = !!data && typeof data === 'object' && !Array.isArray(data);
    const match = isObject ? types.indexOf(data.type as string) : -1;
    branches.forEach((_, i) => {
      if (i !== match) {
        drop.push({
          instancePath: e.instancePath,
          schemaPath: `${e.schemaPath}/${i}/`
        });
      }
    });
    drop.push({ instancePath: e.instancePath, schemaPath: e.schemaPath });
    if (!isObject) {
      extra.push({ ...e, keyword: 'type', params: { type: 'object' } });
    } else if (match === -1) {
      extra.push({
        ...e,
        instancePath: `${e.instancePath}/type`,
        keyword: 'enum',
        params: { allowedValues: types }
      });
    }
  }
  const dropped = (e: ErrorObject) =>
    drop.some(
      d =>
        (e.instancePath === d.instancePath ||
          e.instancePath.startsWith(`${d.instancePath}/`)) &&
        (e.schemaPath === d.schemaPath ||
          (d.schemaPath.endsWith('/') && e.schemaPath.startsWith(d.schemaPath)))
    );
  return [...errors.filter(e => !dropped(e)), ...extra];
}

interface IBranch {
  properties?: { type?: { const?: string } };
}

/** One line naming the site (if any) and the field. */
function describe(doc: unknown, e: ErrorObject): string {
  const path = e.instancePath.split('/').slice(1).map(unescapePointer);
  let field = path;
  if (e.keyword === 'required') {
    field = [...path, String(e.params.missingProperty)];
  } else if (e.keyword === 'additionalProperties') {
    field = [...path, String(e.params.additionalProperty)];
  }
  let where = 'registry';
  if (field[0] === 'sites' && field.length >= 2 && /^\d+$/.test(field[1])) {
    const index = Number(field[1]);
    const sites = (doc as { sites?: unknown[] }).sites ?? [];
    const name = (sites[index] as { name?: unknown } | undefined)?.name;
    where =
      typeof name === 'string' && name
        ? `site "${name}"`
        : `site #${index + 1}`;
    field = field.slice(2);
  }
  return field.length
    ? `${where}: ${formatField(field)}: ${message(e)}`
    : `${where}: ${message(e)}`;
}

function message(e: ErrorObject): string {
  const p = e.params as { [key: string]: unknown };
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'type':
      return `must be ${article(String(p.type))}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return PATTERN_MESSAGES[String(p.pattern)] ?? `must match ${p.pattern}`;
    case 'minLength':
      return p.limit === 1
        ? 'must not be empty'
        : (e.message ?? 'is too short');
    case 'minItems':
      return p.limit === 1
        ? 'must have at least one entry'
        : (e.message ?? 'has too few entries');
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

function formatField(parts: string[]): string {
  return parts
    .map((part, i) =>
      /^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`
    )
    .join('');
}

function article(type: string): string {
  const names: { [type: string]: string } = {
    string: 'a string',
    number: 'a number',
    integer: 'an integer',
    boolean: 'true or false',
    object: 'an object',
    array: 'a list',
    null: 'null'
  };
  return type
    .split(',')
    .map(t => names[t] ?? t)
    .join(' or ');
}

function unescapePointer(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}

function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
