import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

import { createSidecarServer } from '../server';

describe('sidecar HTTP API', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createSidecarServer({
      secret: 's3cret',
      version: '1.2.3',
      registry: {
        version: 1,
        sites: [
          {
            name: 'central',
            label: 'Central (Warsaw)',
            colour: '#1f77b4',
            gateway: { address: 'http://127.0.0.1:8001' },
            auth: {
              type: 'oidc',
              issuer: 'http://127.0.0.1:9000',
              client_id: 'dask-sites'
            }
          }
        ]
      }
    });
    await new Promise<void>(resolve =>
      server.listen(0, '127.0.0.1', () => resolve())
    );
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  it('answers health checks without a secret', async () => {
    const res = await fetch(`${base}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: '1.2.3' });
  });

  it('lists sites without addresses or auth details, given the secret', async () => {
    const res = await fetch(`${base}/api/sites`, {
      headers: { Authorization: 'token s3cret' }
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      sites: [{ name: 'central', label: 'Central (Warsaw)', colour: '#1f77b4' }]
    });
  });

  it('refuses a missing or wrong secret', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: 'token nope' },
      { Authorization: 'Bearer s3cret' }
    ];
    for (const headers of attempts) {
      const res = await fetch(`${base}/api/sites`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'missing or wrong token' });
    }
  });

  it('answers unknown paths and methods with JSON errors', async () => {
    expect((await fetch(`${base}/api/nope`)).status).toBe(404);
    const res = await fetch(`${base}/api/sites`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});
