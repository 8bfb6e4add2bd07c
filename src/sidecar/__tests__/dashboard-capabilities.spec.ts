import { DashboardCapabilities } from '../dashboards/capabilities';

const LUMI = { site: 'lumi', cluster: 'abc' };

function store(options: DashboardCapabilities.IOptions = {}) {
  const clock = { now: 1_000 };
  const capabilities = new DashboardCapabilities({
    idleMs: 100,
    now: () => clock.now,
    ...options
  });
  return { clock, capabilities };
}

describe('dashboard capabilities', () => {
  it('are unguessable and open what they were issued for', () => {
    const { capabilities } = store();
    const one = capabilities.issue(LUMI);
    const two = capabilities.issue({ site: 'central', cluster: 'def' });
    expect(one).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(one).not.toBe(two);
    expect(capabilities.use(one)).toEqual(LUMI);
    expect(capabilities.use(two)).toEqual({ site: 'central', cluster: 'def' });
  });

  it.each(['', 'abc', 'A'.repeat(43), `${'A'.repeat(42)}=`, 'A'.repeat(44)])(
    'know nothing of %p',
    capability => {
      const { capabilities } = store();
      capabilities.issue(LUMI);
      expect(capabilities.use(capability)).toBeUndefined();
    }
  );

  it('expire when unused for the idle time; each use extends it', () => {
    const { clock, capabilities } = store();
    const capability = capabilities.issue(LUMI);
    clock.now += 90;
    expect(capabilities.use(capability)).toEqual(LUMI);
    clock.now += 90;
    expect(capabilities.use(capability)).toEqual(LUMI);
    clock.now += 101;
    expect(capabilities.use(capability)).toBeUndefined();
    clock.now -= 101; // gone for good, even if the clock went back
    expect(capabilities.use(capability)).toBeUndefined();
  });

  it('stay alive while a WebSocket holds them, and expire after it closes', () => {
    const { clock, capabilities } = store();
    const capability = capabilities.issue(LUMI);
    const release = capabilities.hold(capability);
    const other = capabilities.hold(capability);
    clock.now += 1_000;
    expect(capabilities.use(capability)).toEqual(LUMI);
    release();
    release(); // twice is harmless
    clock.now += 1_000;
    expect(capabilities.use(capability)).toEqual(LUMI);
    other();
    clock.now += 101;
    expect(capabilities.use(capability)).toBeUndefined();
  });

  it('holding an expired capability holds nothing', () => {
    const { clock, capabilities } = store();
    const capability = capabilities.issue(LUMI);
    clock.now += 101;
    capabilities.hold(capability)();
    expect(capabilities.use(capability)).toBeUndefined();
  });

  it('are revoked per site or per cluster', () => {
    const { capabilities } = store();
    const lumi = capabilities.issue(LUMI);
    const lumiOther = capabilities.issue({ site: 'lumi', cluster: 'xyz' });
    const central = capabilities.issue({ site: 'central', cluster: 'abc' });
    capabilities.revoke('lumi', 'abc');
    expect(capabilities.use(lumi)).toBeUndefined();
    expect(capabilities.use(lumiOther)).toBeDefined();
    capabilities.revoke('lumi');
    expect(capabilities.use(lumiOther)).toBeUndefined();
    expect(capabilities.use(central)).toBeDefined();
  });

  it('are at most maxEntries: expired ones go first, then the least recently used', () => {
    const { clock, capabilities } = store({ maxEntries: 3 });
    const a = capabilities.issue(LUMI);
    clock.now += 10;
    const b = capabilities.issue(LUMI);
    clock.now += 10;
    const c = capabilities.issue(LUMI);
    capabilities.use(a); // b is now the least recently used
    const d = capabilities.issue(LUMI);
    expect(capabilities.size).toBe(3);
    expect(capabilities.use(b)).toBeUndefined();
    for (const kept of [a, c, d]) {
      expect(capabilities.use(kept)).toEqual(LUMI);
    }
    clock.now += 1_000; // all expired: they make room without evicting
    capabilities.issue(LUMI);
    expect(capabilities.size).toBe(1);
  });

  it('evict one held by a socket only when all are held', () => {
    const { capabilities } = store({ maxEntries: 2 });
    const a = capabilities.issue(LUMI);
    const b = capabilities.issue(LUMI);
    capabilities.hold(a);
    capabilities.issue(LUMI);
    expect(capabilities.use(a)).toEqual(LUMI);
    expect(capabilities.use(b)).toBeUndefined();
  });
});
