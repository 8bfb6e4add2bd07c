import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { FetchLike } from '../gateway/http';
import {
  parseCounts,
  parseIdentity,
  parseWorkersTable,
  SchedulerMetrics
} from '../live/scheduler-metrics';

/**
 * Answers captured from a testbed cluster (distributed 2026.8, two workers
 * of 1 thread and 1 GiB): idle, busy (40 tasks of 0.5 s, 4 processing) and
 * scaled to zero. identity.json answers 500 while workers compute.
 */
const FIXTURES = join(__dirname, 'fixtures', 'scheduler');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const GiB = 2 ** 30;

describe('scheduler figure parsers', () => {
  it('reads the workers table of a busy cluster', () => {
    expect(parseWorkersTable(fixture('workers-busy.html'))).toEqual({
      workers: 2,
      threads: 2,
      memory: 197328896 + 197304320,
      memoryLimit: 2 * GiB,
      tasksProcessing: 4
    });
  });

  it('reads the workers table of an idle and an empty cluster', () => {
    expect(parseWorkersTable(fixture('workers-idle.html'))).toEqual({
      workers: 2,
      threads: 2,
      memory: 85446656 + 85426176,
      memoryLimit: 2 * GiB,
      tasksProcessing: 0
    });
    expect(parseWorkersTable(fixture('workers-empty.html'))).toEqual({
      workers: 0,
      threads: 0,
      memory: 0,
      memoryLimit: 0,
      tasksProcessing: 0
    });
  });

  it('refuses pages without the expected table', () => {
    expect(
      parseWorkersTable(fixture('identity-busy-500.html'))
    ).toBeUndefined();
    expect(
      parseWorkersTable(
        fixture('workers-idle.html').replace(
          '<th> Memory use </th>',
          '<th> RAM </th>'
        )
      )
    ).toBeUndefined();
    expect(
      parseWorkersTable(
        fixture('workers-idle.html').replace(/<progress[^>]*>/g, '')
      )
    ).toBeUndefined();
  });

  it('treats a missing memory limit as zero', () => {
    const html = fixture('workers-idle.html')
      .replace(/data-sort="1073741824"/g, 'data-sort="None"')
      .replace(/max="1073741824"/g, 'max="None"');
    expect(parseWorkersTable(html)?.memoryLimit).toBe(0);
  });

  it('reads counts.json', () => {
    expect(parseCounts(JSON.parse(fixture('counts-busy.json')))).toEqual({
      workers: 2,
      threads: 2,
      tasksProcessing: 4
    });
    expect(parseCounts(JSON.parse(fixture('counts-empty.json')))).toEqual({
      workers: 0,
      threads: 0,
      tasksProcessing: 0
    });
    expect(parseCounts({ workers: 'two' })).toBeUndefined();
  });

  it('reads identity.json', () => {
    const idle = JSON.parse(fixture('identity-idle.json'));
    const memory = Object.values(
      idle.workers as { [a: string]: { metrics: { memory: number } } }
    ).reduce((sum, w) => sum + w.metrics.memory, 0);
    expect(parseIdentity(idle)).toEqual({
      workers: 2,
      threads: 2,
      memory,
      memoryLimit: 2 * GiB
    });
    expect(parseIdentity(JSON.parse(fixture('identity-empty.json')))).toEqual({
      workers: 0,
      threads: 0,
      memory: 0,
      memoryLimit: 0
    });
    expect(parseIdentity('nope')).toBeUndefined();
  });
});

describe('SchedulerMetrics', () => {
  const CLUSTER = '5a5293afbabf41df9602c0db5b81abfe';

  function serve(files: { [route: string]: string | number }): FetchLike & {
    paths: string[];
    headers: (string | undefined)[];
  } {
    const paths: string[] = [];
    const headers: (string | undefined)[] = [];
    const fake = (async (input: string, init?: RequestInit) => {
      const path = new URL(input).pathname;
      paths.push(path);
      headers.push((init?.headers as { [k: string]: string }).Authorization);
      const route = path.replace(`/clusters/${CLUSTER}/`, '');
      const file = files[route];
      if (typeof file === 'number') {
        return new Response(`<html><title>${file}: Error</title></html>`, {
          status: file,
          headers: { 'Content-Type': 'text/html' }
        });
      }
      if (file === undefined) {
        return new Response('404: Not Found', { status: 404 });
      }
      return new Response(fixture(file), {
        status: 200,
        headers: {
          'Content-Type': file.endsWith('.json')
            ? 'application/json'
            : 'text/html'
        }
      });
    }) as FetchLike & { paths: string[]; headers: (string | undefined)[] };
    fake.paths = paths;
    fake.headers = headers;
    return fake;
  }

  const metrics = (fetch: FetchLike) =>
    new SchedulerMetrics({
      site: 'central',
      address: 'http://gw.example:8000/',
      fetch,
      authorizationHeader: async () => 'Bearer abc',
      now: () => 1234
    });

  it('needs one request when the workers table answers', async () => {
    const fetch = serve({ 'info/main/workers.html': 'workers-busy.html' });
    await expect(metrics(fetch).fetch(CLUSTER)).resolves.toEqual({
      workers: 2,
      threads: 2,
      memory: 197328896 + 197304320,
      memoryLimit: 2 * GiB,
      tasksProcessing: 4,
      updatedAt: 1234
    });
    expect(fetch.paths).toEqual([
      `/clusters/${CLUSTER}/info/main/workers.html`
    ]);
    expect(fetch.headers).toEqual(['Bearer abc']);
  });

  it('falls back to counts.json and identity.json', async () => {
    const fetch = serve({
      'info/main/workers.html': 500,
      'json/counts.json': 'counts-idle.json',
      'json/identity.json': 'identity-idle.json'
    });
    const live = await metrics(fetch).fetch(CLUSTER);
    expect(live).toMatchObject({
      workers: 2,
      threads: 2,
      memoryLimit: 2 * GiB
    });
    expect(live.memory).toBeGreaterThan(0);
  });

  it('keeps the last memory figures while identity.json fails (busy workers)', async () => {
    const files: { [route: string]: string | number } = {
      'info/main/workers.html': 'workers-idle.html'
    };
    const source = metrics(serve(files));
    const first = await source.fetch(CLUSTER);
    files['info/main/workers.html'] = 500;
    files['json/counts.json'] = 'counts-busy.json';
    files['json/identity.json'] = 'identity-busy-500.html';
    const busy = await source.fetch(CLUSTER);
    expect(busy).toEqual({ ...first, tasksProcessing: 4 });
  });

  it('fails with not-found for a cluster that is gone', async () => {
    await expect(metrics(serve({})).fetch(CLUSTER)).rejects.toMatchObject({
      kind: 'not-found',
      cluster: CLUSTER
    });
  });

  it('pings the scheduler: its health answers, a 502 of the proxy or a 404 means gone', async () => {
    const health = 'workers-idle.html'; // any 200 answer
    await expect(
      metrics(serve({ health })).ping(CLUSTER)
    ).resolves.toBeUndefined();
    for (const [status, kind] of [
      [502, 'unreachable'],
      [503, 'unreachable'],
      [504, 'unreachable']
    ] as const) {
      await expect(
        metrics(serve({ health: status })).ping(CLUSTER)
      ).rejects.toMatchObject({ kind });
    }
    await expect(metrics(serve({})).ping(CLUSTER)).rejects.toMatchObject({
      kind: 'not-found'
    });
    // A login in front of the dashboards says nothing about the scheduler.
    await expect(
      metrics(serve({ health: 401 })).ping(CLUSTER)
    ).resolves.toBeUndefined();
    await expect(
      metrics(serve({ health: 500 })).ping(CLUSTER)
    ).resolves.toBeUndefined();
  });
});
