import { parseCommandLine, parseListen, SECRET_ENV } from '../options';

describe('sidecar command line', () => {
  const env = { [SECRET_ENV]: 's3cret' };

  it('reads the registry, the listen address and the secret', () => {
    expect(
      parseCommandLine(
        ['--registry', 'sites.json', '--listen=unix:/run/ds/s.sock'],
        env
      )
    ).toEqual({
      action: 'run',
      options: {
        registryPath: 'sites.json',
        listen: { kind: 'unix', path: '/run/ds/s.sock' },
        secret: 's3cret',
        kernelSecret: '',
        autoCreateCluster: false,
        kernelClusters: 'stop-with-kernel',
        kernelClusterGraceMs: 60_000
      }
    });
  });

  it('reads what becomes of clusters made for kernels, and refuses what cannot be', () => {
    const parsed = parseCommandLine(
      [
        '--registry=r.json',
        '--kernel-clusters',
        'keep',
        '--kernel-cluster-grace=2.5'
      ],
      env
    );
    expect(parsed).toMatchObject({
      options: { kernelClusters: 'keep', kernelClusterGraceMs: 2500 }
    });
    for (const bad of [
      ['--kernel-clusters', 'stop'],
      ['--kernel-cluster-grace', '-1'],
      ['--kernel-cluster-grace', 'soon'],
      ['--kernel-cluster-grace', '1e9']
    ]) {
      expect(() =>
        parseCommandLine(['--registry=r.json', ...bad], env)
      ).toThrow(bad[0]);
    }
  });

  it('reads the optional settings', () => {
    const parsed = parseCommandLine(
      [
        '--registry=https://example.org/sites.json',
        '--public-url',
        'http://127.0.0.1:8888/user/alice',
        '--state-dir',
        '/tmp/ds',
        '--auto-create-cluster',
        '--parent-pid',
        '42'
      ],
      { ...env, DASK_SITES_KERNEL_SECRET: 'k' }
    );
    expect(parsed).toMatchObject({
      action: 'run',
      options: {
        registryPath: 'https://example.org/sites.json',
        publicUrl: 'http://127.0.0.1:8888/user/alice/',
        stateDir: '/tmp/ds',
        autoCreateCluster: true,
        parentPid: 42,
        kernelSecret: 'k'
      }
    });
    expect(() =>
      parseCommandLine(['--registry', 'x', '--public-url', 'ftp://x'], env)
    ).toThrow('must be http(s)');
  });

  it('needs a registry and a secret', () => {
    expect(() => parseCommandLine([], env)).toThrow('--registry is required');
    expect(() => parseCommandLine(['--registry', 'x.json'], {})).toThrow(
      SECRET_ENV
    );
  });

  it('accepts loopback addresses only', () => {
    expect(parseListen('127.0.0.1:0')).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 0
    });
    expect(parseListen('[::1]:8765')).toEqual({
      kind: 'tcp',
      host: '::1',
      port: 8765
    });
    expect(() => parseListen('0.0.0.0:8765')).toThrow('loopback');
    expect(() => parseListen('unix:relative.sock')).toThrow('absolute');
    expect(() => parseListen('8765')).toThrow('host:port');
  });
});

describe('registry rules on the command line', () => {
  it('allows link-local hosts only when asked', () => {
    const env = { DASK_SITES_SIDECAR_SECRET: 's3cret' };
    const plain = parseCommandLine(['--registry', 'r.json'], env);
    const allowed = parseCommandLine(
      ['--registry', 'r.json', '--allow-link-local-hosts'],
      env
    );
    expect(
      plain.action === 'run' && plain.options.allowLinkLocalHosts
    ).toBeFalsy();
    expect(
      allowed.action === 'run' && allowed.options.allowLinkLocalHosts
    ).toBe(true);
  });
});
