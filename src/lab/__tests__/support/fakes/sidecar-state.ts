/** Site and cluster states as the sidecar reports them, with defaults a test overrides. */
import type { IClusterInfo, ISiteState } from '../../../../protocol';

export function cluster(overrides: Partial<IClusterInfo> = {}): IClusterInfo {
  return {
    name: 'c0ffee00aa',
    displayName: 'c0ffee00',
    status: 'RUNNING',
    dashboardRoute: '/clusters/c0ffee00aa/status',
    startTime: Date.now() - 5 * 60_000,
    options: {},
    live: {
      workers: 2,
      threads: 4,
      memory: 512 * 1024 ** 2,
      memoryLimit: 4 * 1024 ** 3,
      tasksProcessing: 3,
      updatedAt: Date.now()
    },
    ...overrides
  };
}

export function site(overrides: Partial<ISiteState> = {}): ISiteState {
  return {
    name: 'central',
    label: 'Central (Warsaw)',
    colour: '#1f77b4',
    loginKey: 'issuer-a',
    login: {
      status: 'logged-in',
      user: 'alice',
      accessExpiresAt: Date.now() + 300_000,
      sessionExpiresAt: Date.now() + 3 * 3600_000
    },
    reachability: { status: 'up', version: '2026.3.0' },
    clusters: [],
    ...overrides
  };
}
