import type { ISiteRegistry } from '../../protocol';
import { validateRegistry } from '../registry';

function sampleRegistry(): ISiteRegistry {
  return {
    version: 1,
    sites: [
      {
        name: 'central',
        label: 'Central (Warsaw)',
        colour: '#1f77b4',
        gateway: {
          address: 'http://127.0.0.1:8001',
          proxy_address: 'gateway://127.0.0.1:8002'
        },
        auth: {
          type: 'oidc',
          issuer: 'http://127.0.0.1:9000',
          client_id: 'dask-sites',
          flow: 'device',
          scopes: ['openid', 'profile', 'offline_access'],
          persist_refresh_token: false
        },
        cluster_defaults: { worker_cores: 1, worker_memory: 2 },
        data: {
          patterns: ['s3://central-*/*'],
          storage_endpoints: ['http://127.0.0.1:9101']
        }
      },
      {
        name: 'lumi',
        label: 'LUMI (Kajaani)',
        colour: '#ff7f0e',
        gateway: { address: 'http://127.0.0.1:8011' },
        auth: { type: 'none' }
      }
    ]
  };
}

/** A copy of the sample that the test may break freely. */
function mutable(): any {
  return JSON.parse(JSON.stringify(sampleRegistry()));
}

function errorsOf(doc: unknown): string[] {
  const result = validateRegistry(doc);
  return result.ok ? [] : result.errors;
}

describe('site registry validation', () => {
  it('accepts a valid registry', () => {
    const result = validateRegistry(sampleRegistry());
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.registry.sites.map(s => s.name)).toEqual([
        'central',
        'lumi'
      ]);
    }
  });

  it('names the site and the field of a bad gateway address', () => {
    const doc = mutable();
    doc.sites[1].gateway.address = 'not a url';
    expect(errorsOf(doc)).toEqual([
      'site "lumi": gateway.address: must be a URL (http:// or https://)'
    ]);
  });

  it('names the site and the field that is missing', () => {
    const doc = mutable();
    delete doc.sites[0].auth.client_id;
    expect(errorsOf(doc)).toEqual([
      'site "central": auth.client_id: is required'
    ]);
  });

  it('reports only the auth branch that the type selects', () => {
    const doc = mutable();
    doc.sites[0].auth.flow = 'password';
    doc.sites[1].auth = { type: 'kerberos' };
    expect(errorsOf(doc)).toEqual([
      'site "central": auth.flow: must be one of "device", "code"',
      'site "lumi": auth.type: must be one of "oidc", "jupyterhub", "none"'
    ]);
  });

  it('reports every problem, one line each', () => {
    const doc = mutable();
    doc.version = 2;
    doc.sites[0].colour = 'blue';
    doc.sites[1].gateway.port = 8011;
    delete doc.sites[1].label;
    expect(errorsOf(doc).sort()).toEqual(
      [
        'registry: version: must be 1',
        'site "central": colour: must be a colour like "#1f77b4"',
        'site "lumi": gateway.port: is not a known field',
        'site "lumi": label: is required'
      ].sort()
    );
  });

  it('names a site by its name even when the name is invalid', () => {
    const doc = mutable();
    doc.sites[1].name = 'LUMI';
    const errors = errorsOf(doc);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^site "LUMI": name: must be a lowercase slug/);
  });

  it('refers to a site without a name by its position', () => {
    const doc = mutable();
    delete doc.sites[1].name;
    doc.sites[1].gateway.address = 'ftp://example.org';
    expect(errorsOf(doc).sort()).toEqual([
      'site #2: gateway.address: must be a URL (http:// or https://)',
      'site #2: name: is required'
    ]);
  });

  it('reports a document that is not a registry', () => {
    expect(errorsOf([])).toEqual(['registry: must be an object']);
    expect(errorsOf({ version: 1, sites: [] })).toEqual([
      'registry: sites: must have at least one entry'
    ]);
    expect(
      errorsOf({
        version: 1,
        sites: [{ ...sampleRegistry().sites[1], auth: 'none' }]
      })
    ).toEqual(['site "lumi": auth: must be an object']);
  });

  it('rejects two sites with the same name', () => {
    const doc = mutable();
    doc.sites[1].name = 'central';
    expect(errorsOf(doc)).toEqual([
      'site "central": name: is used by more than one site'
    ]);
  });
});
