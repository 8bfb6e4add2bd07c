import type { IClusterLive } from '../../protocol';
import {
  LiveWatcher,
  sameFigures,
  type ILiveWatcherOptions
} from '../live/watcher';

const GiB = 2 ** 30;

function figures(
  workers: number,
  extra: Partial<IClusterLive> = {}
): IClusterLive {
  return {
    workers,
    threads: workers,
    memory: workers * 0.1 * GiB,
    memoryLimit: workers * GiB,
    tasksProcessing: 0,
    updatedAt: Date.now(),
    ...extra
  };
}

interface IHarness {
  watcher: LiveWatcher;
  fetches: string[];
  updates: string[];
  errors: string[];
  forgotten: string[];
  running: { [site: string]: string[] };
  workers: { [cluster: string]: number | Error };
}

function harness(options: Partial<ILiveWatcherOptions> = {}): IHarness {
  const h: IHarness = {
    fetches: [],
    updates: [],
    errors: [],
    forgotten: [],
    running: { central: ['a', 'b'], lumi: ['c'] },
    workers: { a: 1, b: 2, c: 3 },
    watcher: undefined as unknown as LiveWatcher
  };
  h.watcher = new LiveWatcher({
    clusters: site => h.running[site] ?? [],
    fetch: async (site, cluster) => {
      h.fetches.push(`${site}/${cluster}`);
      const value = h.workers[cluster];
      if (value instanceof Error) {
        throw value;
      }
      return figures(value);
    },
    onUpdate: (site, cluster, live) =>
      h.updates.push(`${site}/${cluster}=${live.workers}`),
    onError: (site, cluster, err) =>
      h.errors.push(`${site}/${cluster}: ${(err as Error).message}`),
    onForget: (site, cluster) => h.forgotten.push(`${site}/${cluster}`),
    intervalMs: 2000,
    ...options
  });
  return h;
}

beforeEach(() => {
  jest.useFakeTimers({
    doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask']
  });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('LiveWatcher', () => {
  it('polls nothing while nobody watches', async () => {
    const h = harness();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(h.fetches).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('polls a watched site at once and then every interval, reporting changes only', async () => {
    const h = harness();
    const unwatch = h.watcher.watch('central');
    await jest.advanceTimersByTimeAsync(0);
    expect(h.fetches).toEqual(['central/a', 'central/b']);
    expect(h.updates).toEqual(['central/a=1', 'central/b=2']);
    await jest.advanceTimersByTimeAsync(2000);
    expect(h.fetches).toHaveLength(4);
    expect(h.updates).toHaveLength(2); // same figures: nothing to report
    h.workers.b = 4;
    await jest.advanceTimersByTimeAsync(2000);
    expect(h.updates).toEqual(['central/a=1', 'central/b=2', 'central/b=4']);
    expect(h.watcher.current('central', 'b')?.workers).toBe(4);

    unwatch();
    unwatch(); // idempotent
    expect(h.forgotten).toEqual(['central/a', 'central/b']);
    const before = h.fetches.length;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(h.fetches).toHaveLength(before);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('counts subscribers per site', async () => {
    const h = harness();
    const one = h.watcher.subscription();
    const two = h.watcher.subscription();
    one.set(['central', 'lumi']);
    two.set(['central']);
    expect(h.watcher.subscribers('central')).toBe(2);
    expect(h.watcher.subscribers('lumi')).toBe(1);
    one.set(['central']);
    expect(h.watcher.subscribers('lumi')).toBe(0);
    expect(h.watcher.watchedSites()).toEqual(['central']);
    one.close();
    expect(h.watcher.subscribers('central')).toBe(1);
    two.close();
    expect(h.watcher.watchedSites()).toEqual([]);
    await jest.advanceTimersByTimeAsync(5000);
    expect(h.fetches).toEqual([]);
  });

  it('keeps polling the others when one cluster fails, and reports each error once', async () => {
    const h = harness();
    h.workers.a = new Error('central: cluster a… was not found (404)');
    h.watcher.watch('central');
    await jest.advanceTimersByTimeAsync(0);
    await jest.advanceTimersByTimeAsync(2000);
    expect(h.updates).toEqual(['central/b=2']);
    expect(h.errors).toEqual([
      'central/a: central: cluster a… was not found (404)'
    ]);
    h.workers.a = 5;
    await jest.advanceTimersByTimeAsync(2000);
    expect(h.updates).toEqual(['central/b=2', 'central/a=5']);
  });

  it('reports a failing cluster list without stopping', async () => {
    const h = harness({
      clusters: () => {
        throw new Error('state not ready');
      }
    });
    h.watcher.watch('central');
    await jest.advanceTimersByTimeAsync(4000);
    expect(h.errors).toEqual(['central/undefined: state not ready']);
    expect(jest.getTimerCount()).toBe(1);
    h.watcher.stop();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('forgets clusters that stopped running', async () => {
    const h = harness();
    h.watcher.watch('central');
    await jest.advanceTimersByTimeAsync(0);
    h.running.central = ['b'];
    await jest.advanceTimersByTimeAsync(2000);
    expect(h.forgotten).toEqual(['central/a']);
    h.running.central = ['a', 'b'];
    await jest.advanceTimersByTimeAsync(2000);
    expect(h.updates).toEqual(['central/a=1', 'central/b=2', 'central/a=1']);
  });

  it('limits concurrent fetches and skips clusters still in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const started: string[] = [];
    const h = harness({
      concurrency: 2,
      clusters: () => ['a', 'b', 'c', 'd', 'e'],
      fetch: async (_site, cluster) => {
        started.push(cluster);
        inFlight += 1;
        most = Math.max(most, inFlight);
        // e is slow: 5 s, longer than two intervals
        await new Promise(resolve =>
          setTimeout(resolve, cluster === 'e' ? 5000 : 100)
        );
        inFlight -= 1;
        return figures(1);
      }
    });
    h.watcher.watch('central');
    await jest.advanceTimersByTimeAsync(6100);
    expect(most).toBe(2);
    // e started once in the first round and was skipped while in flight.
    expect(started.filter(c => c === 'e')).toHaveLength(1);
    expect(started.filter(c => c === 'a').length).toBeGreaterThanOrEqual(3);
    h.watcher.stop();
  });

  it('aborts fetches of a site nobody watches any more', async () => {
    const signals: AbortSignal[] = [];
    const h = harness({
      fetch: (_site, _cluster, signal) => {
        signals.push(signal);
        return new Promise(() => undefined);
      }
    });
    const unwatch = h.watcher.watch('central');
    await jest.advanceTimersByTimeAsync(0);
    expect(signals).toHaveLength(2);
    unwatch();
    expect(signals.every(s => s.aborted)).toBe(true);
    expect(h.errors).toEqual([]);
  });

  it('polls at once on request', async () => {
    const h = harness();
    h.watcher.watch('lumi');
    await jest.advanceTimersByTimeAsync(0);
    h.workers.c = 4;
    await h.watcher.pollNow();
    expect(h.updates).toEqual(['lumi/c=3', 'lumi/c=4']);
  });
});

describe('sameFigures', () => {
  it('ignores the time stamp and memory noise, not real changes', () => {
    const a = figures(2, { updatedAt: 1 });
    expect(sameFigures(a, { ...a, updatedAt: 2 })).toBe(true);
    expect(sameFigures(a, { ...a, memory: a.memory + 100_000 })).toBe(true);
    expect(sameFigures(a, { ...a, memory: a.memory + 64 * 2 ** 20 })).toBe(
      false
    );
    expect(sameFigures(a, { ...a, tasksProcessing: 1 })).toBe(false);
    expect(sameFigures(a, { ...a, workers: 3 })).toBe(false);
  });
});
