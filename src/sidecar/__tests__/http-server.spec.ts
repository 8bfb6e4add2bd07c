import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

import { z } from 'zod';

import { HttpError } from '../http/error-answers';
import type { IRoute } from '../http/router';
import { CallerCheck } from '../http/secrets';
import { createHttpServer } from '../http/server';
import { rawRequest } from './support/raw-request';

const routes: IRoute[] = [
  {
    method: 'GET',
    path: '/api/health',
    callers: [],
    handle: () => ({ status: 200, body: { ok: 1 } })
  },
  {
    method: 'POST',
    path: '/api/sites/:site/clusters/:cluster/scale',
    callers: ['server', 'kernel'],
    body: z.object({ count: z.number().int().min(0) }),
    handle: ({ params, body, caller }) => ({
      status: 200,
      body: { params, body, caller }
    })
  },
  {
    method: 'GET',
    path: '/kernel/sites/:site/connection',
    callers: ['kernel'],
    handle: () => ({ status: 200, body: { tlsKey: 'kernel only' } })
  },
  {
    method: 'GET',
    path: '/oidc/callback',
    callers: ['server'],
    handle: () => ({ status: 303, redirect: 'http://127.0.0.1:9/auth?x=1' })
  },
  {
    method: 'GET',
    path: '/api/fails',
    callers: ['server'],
    handle: () => {
      throw new HttpError('login-needed', 'central: login needed');
    }
  }
];

let server: Server;
let base: string;

beforeAll(async () => {
  server = createHttpServer({
    routes,
    callers: new CallerCheck('server-secret', 'kernel-secret'),
    passThrough: [
      (req, res) => {
        if (!req.url?.startsWith('/dashboard/')) {
          return false;
        }
        res.end('dashboard');
        return true;
      }
    ],
    log: () => undefined
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise(resolve => server.close(resolve)));

const as = (secret?: string): { [header: string]: string } =>
  secret
    ? { Authorization: `token ${secret}`, 'Content-Type': 'application/json' }
    : {};

describe('sidecar HTTP server', () => {
  it('serves public routes without a secret', async () => {
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
  });

  it('routes with parameters and validates the body', async () => {
    const ok = await fetch(`${base}/api/sites/lumi/clusters/abc/scale`, {
      method: 'POST',
      headers: as('server-secret'),
      body: JSON.stringify({ count: 2 })
    });
    expect(await ok.json()).toEqual({
      params: { site: 'lumi', cluster: 'abc' },
      body: { count: 2 },
      caller: 'server'
    });
    const bad = await fetch(`${base}/api/sites/lumi/clusters/abc/scale`, {
      method: 'POST',
      headers: as('kernel-secret'),
      body: JSON.stringify({ count: -1 })
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /^invalid request: count: /
    );
    const notJson = await fetch(`${base}/api/sites/lumi/clusters/abc/scale`, {
      method: 'POST',
      headers: as('server-secret'),
      body: '{'
    });
    expect(((await notJson.json()) as { error: string }).error).toBe(
      'the request body is not valid JSON'
    );
  });

  it('tells callers apart by secret', async () => {
    expect((await fetch(`${base}/kernel/sites/lumi/connection`)).status).toBe(
      401
    );
    expect(
      (
        await fetch(`${base}/kernel/sites/lumi/connection`, {
          headers: as('wrong')
        })
      ).status
    ).toBe(401);
    // The browser's path (server secret) never gets the kernel API.
    expect(
      (
        await fetch(`${base}/kernel/sites/lumi/connection`, {
          headers: as('server-secret')
        })
      ).status
    ).toBe(403);
    expect(
      (
        await fetch(`${base}/kernel/sites/lumi/connection`, {
          headers: as('kernel-secret')
        })
      ).status
    ).toBe(200);
  });

  it('answers errors as JSON with their code', async () => {
    const answer = await fetch(`${base}/api/fails`, {
      headers: as('server-secret')
    });
    expect(answer.status).toBe(409);
    expect(await answer.json()).toEqual({
      error: 'central: login needed',
      code: 'login-needed'
    });
    expect(
      (await fetch(`${base}/api/health`, { method: 'DELETE' })).status
    ).toBe(405);
    expect(
      (await fetch(`${base}/nowhere`, { headers: as('server-secret') })).status
    ).toBe(404);
  });

  it('answers a redirect with its Location and no body', async () => {
    const answer = await fetch(`${base}/oidc/callback`, {
      headers: as('server-secret'),
      redirect: 'manual'
    });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('http://127.0.0.1:9/auth?x=1');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(await answer.text()).toBe('');
  });

  it('hands unrouted paths to pass-through handlers for the server only', async () => {
    expect(
      await (
        await fetch(`${base}/dashboard/x`, { headers: as('server-secret') })
      ).text()
    ).toBe('dashboard');
    expect(
      (await fetch(`${base}/dashboard/x`, { headers: as('kernel-secret') }))
        .status
    ).toBe(404);
    expect((await fetch(`${base}/dashboard/x`)).status).toBe(401);
  });
});

describe('malformed requests get a 4xx that names the problem', () => {
  const auth = { Authorization: 'token server-secret' };
  const big = Buffer.alloc(1024 * 1024, 'x');

  async function answer(path: string, init: RequestInit = {}) {
    const response = await fetch(`${base}${path}`, {
      ...init,
      headers: { ...auth, ...(init.headers as object) }
    });
    const body = (await response.json()) as { error: string; code: string };
    return { status: response.status, ...body };
  }

  it.each([
    ['/nowhere', 'POST', 404, 'unknown-route'],
    ['/api/health', 'POST', 405, 'method-not-allowed'],
    ['/kernel/sites/lumi/connection', 'GET', 403, 'caller-not-allowed'],
    ['/api/sites/central/clusters/x/scale', 'POST', 413, 'body-too-large']
  ])(
    'a 1 MB body to %s (%s) is read and answered as JSON',
    async (path, method, status, code) => {
      for (let i = 0; i < 5; i++) {
        const got = await answer(path, {
          method: method === 'GET' ? 'POST' : method,
          body: big
        });
        expect(got.status).toBe(method === 'GET' ? 405 : status);
        expect(got.code).toBe(method === 'GET' ? 'method-not-allowed' : code);
      }
    }
  );

  it('refuses a body that is not UTF-8', async () => {
    const got = await answer('/api/sites/central/clusters/x/scale', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])
    });
    expect(got).toMatchObject({
      status: 400,
      code: 'invalid-request',
      error: 'the request body is not valid UTF-8'
    });
  });

  it.each([
    '/api/sites/central%2Fclusters/x/scale',
    '/api/sites/central/clusters/x%3Fy/scale',
    '/api/sites/central/clusters/%2e%2e/scale',
    '/api/sites/./clusters/x/scale',
    '/api/sites/central/clusters/../clusters/x/scale',
    '/kernel/sites/central%2F..%2Flumi/connection'
  ])(
    'a path whose segments would mean another path is refused: %s',
    async path => {
      const got = await rawRequest(base, path, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: '{"count": 1}'
      });
      expect(got.status).toBe(400);
      const body = JSON.parse(got.body) as { error: string; code: string };
      expect(body.code).toBe('invalid-request');
      expect(body.error).toMatch(/^path segment /);
    }
  );

  it('echoes at most 64 characters of what it was given', async () => {
    const got = await answer(
      `/api/sites/${'%2F'.repeat(4000)}/clusters/x/scale`,
      {
        method: 'POST',
        body: '{}'
      }
    );
    expect(got.status).toBe(400);
    expect(got.error.length).toBeLessThan(200);
  });
});

describe('a sidecar that is still restoring its logins', () => {
  it('answers routes with a caller only once ready, public ones at once', async () => {
    let ready!: () => void;
    const gate = new Promise<void>(resolve => {
      ready = resolve;
    });
    const waiting = createHttpServer({
      routes,
      callers: new CallerCheck('server-secret', 'kernel-secret'),
      ready: gate,
      log: () => undefined
    });
    await new Promise<void>(resolve => waiting.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(waiting.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
      let answered = false;
      const fails = fetch(`${url}/api/fails`, {
        headers: { Authorization: 'token server-secret' }
      }).then(answer => {
        answered = true;
        return answer;
      });
      await new Promise(resolve => setTimeout(resolve, 100));
      expect(answered).toBe(false);
      ready();
      expect((await fails).status).toBe(409);
    } finally {
      await new Promise(resolve => waiting.close(resolve));
    }
  });
});
