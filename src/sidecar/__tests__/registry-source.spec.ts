import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadRegistryFrom } from '../registry-source';

const GOOD = {
  version: 1,
  sites: [
    {
      name: 'lumi',
      label: 'LUMI',
      gateway: { address: 'https://gw.lumi.example' },
      auth: { type: 'none' }
    }
  ]
};
const URL_ = 'https://config.example.org/sites.json';

const answer = (status: number, body: unknown) =>
  (async () =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status
    })) as typeof fetch;

describe('registry from a URL', () => {
  it('validates and caches a good copy, privately', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'registry-'));
    const loaded = await loadRegistryFrom({
      location: URL_,
      cacheDir: dir,
      fetch: answer(200, GOOD)
    });
    expect(loaded.ok && loaded.registry.sites[0].name).toBe('lumi');
    const cache = join(dir, 'registry-cache.json');
    expect(JSON.parse(await readFile(cache, 'utf8')).sites[0].name).toBe(
      'lumi'
    );
    expect((await stat(cache)).mode & 0o777).toBe(0o600);
  });

  it('serves the last good copy when the URL fails, and says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'registry-'));
    await loadRegistryFrom({
      location: URL_,
      cacheDir: dir,
      fetch: answer(200, GOOD)
    });
    const down = await loadRegistryFrom({
      location: URL_,
      cacheDir: dir,
      fetch: answer(503, 'busy')
    });
    expect(down.ok).toBe(true);
    expect(down.stale).toBe(
      `${URL_}: ${URL_} answered HTTP 503; using the cached copy`
    );
    const broken = await loadRegistryFrom({
      location: URL_,
      cacheDir: dir,
      fetch: answer(200, { version: 1, sites: [{ name: 'lumi' }] })
    });
    expect(broken.ok).toBe(true);
    expect(broken.stale).toContain('site "lumi": label');
  });

  it('fails with the reason when there is no cached copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'registry-'));
    const failing = (async () => {
      throw Object.assign(new TypeError('fetch failed'), {
        cause: { code: 'ECONNREFUSED' }
      });
    }) as typeof fetch;
    const loaded = await loadRegistryFrom({
      location: URL_,
      cacheDir: dir,
      fetch: failing
    });
    expect(loaded).toEqual({
      ok: false,
      errors: [`${URL_} is unreachable (ECONNREFUSED)`]
    });
    const html = await loadRegistryFrom({
      location: URL_,
      cacheDir: dir,
      fetch: answer(200, '<html>')
    });
    expect(html).toEqual({ ok: false, errors: [`${URL_} did not serve JSON`] });
  });
});
