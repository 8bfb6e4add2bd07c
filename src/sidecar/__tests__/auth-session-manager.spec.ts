/**
 * The session manager: sites sharing a login, issuer URLs, sites without a login.
 * Fake issuer and fake clock (./fakes): no network, no openid-client.
 */
import {
  AuthConfigError,
  NotRequiredSession,
  SessionManager,
  checkIssuerUrl,
  loginKeyOf
} from '../auth';

import {
  clock,
  deviceLogin,
  failure,
  issuer,
  manager,
  useSessionHarness
} from './fakes/harness';
import { ISSUER, site } from './fakes/sites';

useSessionHarness();

describe('sites sharing a login', () => {
  it('share one session per issuer + client id', async () => {
    const m = manager([
      site('central', {
        resource: 'urn:central',
        scopes: ['openid', 'gateway']
      }),
      site('lumi', {
        resource: 'urn:lumi',
        scopes: ['openid', 'offline_access']
      }),
      site('other', { client_id: 'another-client' })
    ]);
    expect(m.session('central')).toBe(m.session('lumi'));
    expect(m.session('other')).not.toBe(m.session('central'));
    expect(m.loginKey('central')).toBe(m.loginKey('lumi'));
    expect(m.sitesOf(m.loginKey('central'))).toEqual(['central', 'lumi']);
    expect(m.loginKey('central')).toMatch(/^oidc-[0-9a-f]{16}$/);

    const changes: { sites: string[]; status: string }[] = [];
    m.onChange(c => changes.push({ sites: c.sites, status: c.state.status }));
    await m.login('central');
    expect(issuer.deviceRequests[0]).toEqual({
      scope: 'openid gateway offline_access',
      resource: ['urn:central', 'urn:lumi']
    });
    issuer.pollQueue.push('approve');
    await clock.advance(5_000);
    expect(m.state('lumi').status).toBe('logged-in');
    expect(m.state('other').status).toBe('logged-out');
    expect(changes).toEqual([
      { sites: ['central', 'lumi'], status: 'pending' },
      { sites: ['central', 'lumi'], status: 'logged-in' }
    ]);

    // each site gets a token for its own resource, from the one login
    expect(await m.authorizationHeader('central')).toBe(
      'Bearer access-SECRET-1-urn:central'
    );
    expect(await m.authorizationHeader('lumi')).toBe(
      'Bearer access-SECRET-2-urn:lumi'
    );
    expect(issuer.refreshes.map(r => [r.token, r.params.resource])).toEqual([
      ['refresh-SECRET-1', 'urn:lumi']
    ]);

    await m.logout('lumi');
    expect(m.state('central').status).toBe('logged-out');
  });

  it('keys ignore a trailing slash of the issuer', () => {
    expect(loginKeyOf(site('a').auth)).toBe(
      loginKeyOf(site('b', { issuer: `${ISSUER}/` }).auth)
    );
    expect(loginKeyOf({ type: 'none' })).toBe('none');
  });

  it('refreshes of different resources never reuse a rotated refresh token', async () => {
    const m = manager([
      site('central', { resource: 'urn:central' }),
      site('lumi', { resource: 'urn:lumi' })
    ]);
    await deviceLogin(m);
    await clock.advance(300_000);
    const headers = await Promise.all([
      m.authorizationHeader('central'),
      m.authorizationHeader('lumi')
    ]);
    expect(headers).toEqual([
      'Bearer access-SECRET-2-urn:central',
      'Bearer access-SECRET-3-urn:lumi'
    ]);
    expect(issuer.refreshes.map(r => r.token)).toEqual([
      'refresh-SECRET-1',
      'refresh-SECRET-2'
    ]);
    expect(m.state('central').status).toBe('logged-in');
  });
});

describe('issuer URLs', () => {
  it('allows insecure requests only on the loopback', () => {
    expect(checkIssuerUrl('https://login.example.org/realms/x')).toMatchObject({
      allowInsecureRequests: false
    });
    for (const url of [
      'http://127.0.0.1:9000',
      'http://127.1.2.3/oidc',
      'http://localhost:9000',
      'http://[::1]:9000',
      'http://[0:0:0:0:0:0:0:1]:9000'
    ]) {
      expect(checkIssuerUrl(url).allowInsecureRequests).toBe(true);
    }
    for (const url of [
      'http://login.example.org',
      'http://10.0.0.1:9000',
      'http://127.0.0.1.nip.io',
      'http://[::2]:9000',
      'http://0.0.0.0:9000',
      'ftp://127.0.0.1'
    ]) {
      expect(() => checkIssuerUrl(url)).toThrow(AuthConfigError);
    }
  });

  it('passes the flag to the connector', async () => {
    const m = manager([site('central', { issuer: 'http://localhost:9000' })]);
    await m.login('central');
    expect(issuer.connects[0].allowInsecureRequests).toBe(true);
    expect(issuer.connects[0].issuer.href).toBe('http://localhost:9000/');
  });

  it('an http issuer elsewhere degrades only its sites', async () => {
    const m = manager([
      site('central'),
      site('far', { issuer: 'http://login.example.org' })
    ]);
    const state = m.state('far');
    expect(state.status === 'login-needed' && state.reason).toMatch(
      /plain http: only https/
    );
    const err = await failure(m.login('far'));
    expect(err).toBeInstanceOf(AuthConfigError);
    expect(await failure(m.authorizationHeader('far'))).toBeInstanceOf(
      AuthConfigError
    );
    expect(issuer.connects).toHaveLength(0);
    expect((await m.login('central')).status).toBe('pending');
  });
});

describe('sites without a login', () => {
  it('none: no header; jupyterhub: the API token', async () => {
    const m = new SessionManager({
      sites: [
        { ...site('hub'), auth: { type: 'jupyterhub' } },
        { ...site('local'), auth: { type: 'none' } }
      ],
      env: { JUPYTERHUB_API_TOKEN: 'hub-SECRET' }
    });
    expect(m.state('hub')).toEqual({ status: 'not-required' });
    expect(m.state('local')).toEqual({ status: 'not-required' });
    expect(await m.authorizationHeader('hub')).toBe('jupyterhub hub-SECRET');
    expect(await m.authorizationHeader('local')).toBeUndefined();
    expect(await m.login('hub')).toEqual({ status: 'not-required' });
    expect(JSON.stringify(m)).not.toMatch(/SECRET/);
  });

  it('jupyterhub without the token is a clear error', async () => {
    const session = new NotRequiredSession({
      kind: 'jupyterhub',
      loginKey: 'jupyterhub',
      env: {}
    });
    const err = await failure(
      session.authorizationHeader({ site: { name: 'hub', label: 'Hub' } })
    );
    expect(err).toBeInstanceOf(AuthConfigError);
    expect(err.message).toMatch(/Hub uses JupyterHub.*JUPYTERHUB_API_TOKEN/);
  });

  it('unknown sites are a clear error', () => {
    expect(() => manager().session('nowhere')).toThrow(
      'unknown site "nowhere"'
    );
  });
});
