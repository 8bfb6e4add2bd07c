/**
 * Where the registry comes from: a file, or a URL whose last good copy is
 * cached so the sidecar still starts (and keeps its sites) while the URL is
 * unreachable or serves something invalid.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from './state/private-file';

import {
  loadRegistry,
  validateRegistry,
  type IRegistryRules,
  type RegistryResult
} from './registry';

export interface IRegistrySourceOptions {
  /** A file path or an http(s) URL. */
  location: string;
  /** Where the cached copy of a URL registry lives (the state dir). */
  cacheDir?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  rules?: IRegistryRules;
}

export type RegistryLoad = RegistryResult & {
  /** Set when a cached copy serves because the URL failed; says why. */
  stale?: string;
};

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

export async function loadRegistryFrom(
  options: IRegistrySourceOptions
): Promise<RegistryLoad> {
  if (!isUrl(options.location)) {
    return loadRegistry(options.location, options.rules);
  }
  const cache = options.cacheDir
    ? join(options.cacheDir, 'registry-cache.json')
    : undefined;
  const fresh = await fetchRegistry(options);
  if (fresh.ok) {
    if (cache) {
      await writeCache(cache, fresh.registry);
    }
    return fresh;
  }
  const reason = fresh.errors.join('; ');
  if (cache) {
    const cached = await readCache(cache, options.rules);
    if (cached?.ok) {
      return {
        ...cached,
        stale: `${options.location}: ${reason}; using the cached copy`
      };
    }
  }
  return { ok: false, errors: fresh.errors };
}

async function fetchRegistry(
  options: IRegistrySourceOptions
): Promise<RegistryResult> {
  const doFetch = options.fetch ?? fetch;
  let text: string;
  try {
    const response = await doFetch(options.location, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      headers: { Accept: 'application/json' }
    });
    if (!response.ok) {
      return {
        ok: false,
        errors: [`${options.location} answered HTTP ${response.status}`]
      };
    }
    text = await response.text();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return {
      ok: false,
      errors: [
        `${options.location} is unreachable (${cause ?? (err as Error).name})`
      ]
    };
  }
  try {
    return validateRegistry(JSON.parse(text), options.rules);
  } catch {
    return { ok: false, errors: [`${options.location} did not serve JSON`] };
  }
}

async function writeCache(path: string, registry: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writePrivateFile(path, JSON.stringify(registry));
}

async function readCache(
  path: string,
  rules?: IRegistryRules
): Promise<RegistryResult | undefined> {
  try {
    return validateRegistry(JSON.parse(await readFile(path, 'utf8')), rules);
  } catch {
    return undefined;
  }
}
