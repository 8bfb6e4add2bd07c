import type { ISiteConfig, LoginState } from '../../protocol';
import type { ILoginChange } from '../auth';
import { SiteCredentials, StorageCredentialsError } from '../storage';
import { validateRegistry } from '../registry';

const STS = 'http://127.0.0.1:9/sts';
const ROLE = 'arn:aws:iam::123456789012:role/central-data';

const site = (credentials?: unknown): ISiteConfig =>
  ({
    name: 'central',
    label: 'Central',
    gateway: { address: 'http://127.0.0.1:8000' },
    auth: { type: 'oidc', issuer: 'http://127.0.0.1:9000', client_id: 'c' },
    data: credentials ? { credentials } : undefined
  }) as ISiteConfig;

const keysXml = (n: number, expiration: string) =>
  `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult><Credentials>
    <AccessKeyId>ASIA${n}</AccessKeyId><SecretAccessKey>0123${n}</SecretAccessKey>
    <SessionToken>token-${n}</SessionToken><Expiration>${expiration}</Expiration>
  </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`;

function harness(answers: (() => Response | Promise<Response>)[]) {
  let now = Date.parse('2026-12-07T10:00:00Z');
  const calls: URLSearchParams[] = [];
  const listeners: ((change: ILoginChange) => void)[] = [];
  let token: string | undefined = 'Bearer header.payload.sig';
  const fetch = (async (_url: string, init: RequestInit) => {
    calls.push(new URLSearchParams(String(init.body)));
    const next = answers.shift();
    if (!next) {
      throw new Error('no more answers');
    }
    return next();
  }) as typeof globalThis.fetch;
  const credentials = new SiteCredentials({
    sites: [
      site({
        type: 'sts-web-identity',
        endpoint: STS,
        role: ROLE,
        duration: 900
      })
    ],
    sessions: {
      authorizationHeader: async () => {
        if (!token) {
          throw new StorageCredentialsError(
            'storage-unreachable',
            'logged out (stand-in)'
          );
        }
        return token;
      },
      onChange: listener => {
        listeners.push(listener);
        return () => undefined;
      }
    },
    now: () => now,
    fetch
  });
  return {
    credentials,
    calls,
    advance: (ms: number) => (now += ms),
    logout: () => {
      token = undefined;
      const state = { status: 'logged-out' } as LoginState;
      listeners.forEach(l => l({ loginKey: 'k', sites: ['central'], state }));
      token = 'Bearer second.login.sig';
    }
  };
}

describe('object-store keys from STS web identity', () => {
  it('exchanges the access token, keeps keys for half their life, then renews', async () => {
    // The clock starts at 10:00; the keys last 900 s.
    const answers = [1, 2].map(
      n => () =>
        new Response(keysXml(n, `2026-12-07T10:${n === 1 ? 15 : 23}:20Z`))
    );
    const run = harness(answers);
    const first = await run.credentials.forSite('central');
    expect(first).toMatchObject({
      accessKeyId: 'ASIA1',
      secretAccessKey: '01231',
      sessionToken: 'token-1'
    });
    // Digits stay text: a secret is never turned into a number.
    expect(typeof first.secretAccessKey).toBe('string');
    expect(run.calls[0].get('Action')).toBe('AssumeRoleWithWebIdentity');
    expect(run.calls[0].get('WebIdentityToken')).toBe('header.payload.sig');
    expect(run.calls[0].get('RoleArn')).toBe(ROLE);
    expect(run.calls[0].get('DurationSeconds')).toBe('900');
    run.advance(400_000);
    expect((await run.credentials.forSite('central')).accessKeyId).toBe(
      'ASIA1'
    );
    run.advance(100_000); // past half of 900 s
    expect((await run.credentials.forSite('central')).accessKeyId).toBe(
      'ASIA2'
    );
    expect(run.calls).toHaveLength(2);
  });

  it('asks once for concurrent kernels', async () => {
    const run = harness([
      () =>
        new Response(keysXml(1, new Date(Date.now() + 3_600_000).toISOString()))
    ]);
    const both = await Promise.all([
      run.credentials.forSite('central'),
      run.credentials.forSite('central')
    ]);
    expect(both.map(k => k.accessKeyId)).toEqual(['ASIA1', 'ASIA1']);
    expect(run.calls).toHaveLength(1);
  });

  it('forgets the keys when the login ends', async () => {
    const later = () =>
      new Date(Date.parse('2026-12-07T11:00:00Z')).toISOString();
    const run = harness(
      [1, 2].map(n => () => new Response(keysXml(n, later())))
    );
    await run.credentials.forSite('central');
    run.logout();
    expect((await run.credentials.forSite('central')).accessKeyId).toBe(
      'ASIA2'
    );
    expect(run.calls[1].get('WebIdentityToken')).toBe('second.login.sig');
  });

  it('does not hand a fetch of the old login to the next one', async () => {
    const releases: ((r: Response) => void)[] = [];
    const later = '2026-12-07T11:00:00Z';
    const deferred = () =>
      new Promise<Response>(resolve => releases.push(resolve));
    const run = harness([deferred, deferred]);
    const old = run.credentials.forSite('central');
    await new Promise(resolve => setImmediate(resolve));
    run.logout();
    const next = run.credentials.forSite('central');
    await new Promise(resolve => setImmediate(resolve));
    releases[0](new Response(keysXml(1, later)));
    expect((await old).accessKeyId).toBe('ASIA1');
    // The old fetch ending leaves the new login's fetch to those who ask now.
    const alsoNext = run.credentials.forSite('central');
    await new Promise(resolve => setImmediate(resolve));
    releases[1](new Response(keysXml(2, later)));
    expect((await next).accessKeyId).toBe('ASIA2');
    expect((await alsoNext).accessKeyId).toBe('ASIA2');
    expect(run.calls).toHaveLength(2);
    expect(run.calls[1].get('WebIdentityToken')).toBe('second.login.sig');
    // The old login's keys were not kept either.
    expect((await run.credentials.forSite('central')).accessKeyId).toBe(
      'ASIA2'
    );
  });

  it.each([
    [
      'a refusal, in the STS own words',
      () =>
        new Response(
          '<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad signature</Message></Error></ErrorResponse>',
          { status: 400 }
        ),
      'storage-credentials-refused',
      /refused keys for this login \("InvalidIdentityToken": "bad signature"\)\. Log in again/
    ],
    [
      'a server failure',
      () => new Response('<html>oops</html>', { status: 503 }),
      'storage-unreachable',
      /failed \(HTTP 503\)/
    ],
    [
      'not an STS',
      () => new Response('<html>hello</html>'),
      'storage-unreachable',
      /answered with no Expiration.*is data.credentials.endpoint an STS endpoint/
    ],
    [
      'no answer',
      () => Promise.reject(new TypeError('fetch failed')),
      'storage-unreachable',
      /did not answer \(fetch failed\)/
    ],
    [
      'a huge answer',
      () => new Response('x'.repeat(100_000)),
      'storage-unreachable',
      /an answer of 100000 bytes/
    ],
    [
      'a bad date',
      () => new Response(keysXml(1, 'soon')),
      'storage-unreachable',
      /Expiration that is not a date/
    ]
  ])(
    '%s gives a clear error without secrets',
    async (_, answer, code, message) => {
      const run = harness([answer]);
      const err = await run.credentials.forSite('central').catch(e => e);
      expect(err).toBeInstanceOf(StorageCredentialsError);
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain('header.payload.sig');
    }
  );

  it('says there is nothing to fetch for other credential types', async () => {
    const run = harness([]);
    const err = await run.credentials.forSite('lumi').catch(e => e);
    expect(err.code).toBe('no-storage-credentials');
    expect(run.calls).toHaveLength(0);
  });
});

describe('registry: data.credentials', () => {
  const doc = (s: ISiteConfig) => ({ version: 1, sites: [s] });

  it('accepts the three types', () => {
    for (const credentials of [
      {
        type: 'sts-web-identity',
        endpoint: STS,
        role: ROLE,
        duration: 900,
        region: 'eu-central-1'
      },
      { type: 'anonymous' },
      { type: 'environment' }
    ]) {
      expect(validateRegistry(doc(site(credentials)))).toMatchObject({
        ok: true
      });
    }
  });

  it.each([
    [
      { type: 'sts-web-identity', endpoint: 'file:///etc/passwd', role: ROLE },
      /data\.credentials/
    ],
    [
      { type: 'sts-web-identity', endpoint: STS, role: 'central-data' },
      /data\.credentials/
    ],
    [
      { type: 'sts-web-identity', endpoint: STS, role: ROLE, duration: 5 },
      /data\.credentials/
    ],
    [{ type: 'keys', key: 'AKIA' }, /data\.credentials/],
    [
      {
        type: 'sts-web-identity',
        endpoint: 'http://169.254.169.254/',
        role: ROLE
      },
      /data\.credentials\.endpoint: .*metadata/
    ]
  ])('refuses %j, naming the field', (credentials, message) => {
    const result = validateRegistry(doc(site(credentials)));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.join('\n')).toMatch(message);
  });

  it('refuses sts-web-identity without an oidc login', () => {
    const s = {
      ...site({ type: 'sts-web-identity', endpoint: STS, role: ROLE }),
      auth: { type: 'none' }
    } as ISiteConfig;
    const result = validateRegistry(doc(s));
    expect(!result.ok && result.errors).toEqual([
      'site "central": data.credentials: sts-web-identity needs auth.type "oidc" (the keys are exchanged for the login\'s access token)'
    ]);
  });
});
