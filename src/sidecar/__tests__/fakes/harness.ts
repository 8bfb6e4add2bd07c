/**
 * The world of the session tests, made fresh for each test: a fake clock,
 * a fake issuer, a recording store and the log lines. A spec file calls
 * `useSessionHarness()` once at its top. The `let` bindings are replaced
 * before every test; importers read them live (ES module bindings), so
 * tests use `clock`, `issuer`, ... as if they were their own.
 */
import { inspect } from 'node:util';

import type { ISiteConfig } from '../../../protocol';
import { SessionManager } from '../../auth';

import { FakeClock } from './clock';
import { FakeIssuer } from './issuer';
import { CALLBACK, site } from './sites';
import { RecordingStore } from './store';

export let clock: FakeClock;
export let issuer: FakeIssuer;
export let store: RecordingStore;
export let warnings: string[];
export let infos: string[];
/** Every error message seen, checked for tokens at the end of each test. */
export let errorsSeen: string[];

/** A manager of `sites` wired to this test's fakes. */
export function manager(
  sites: ISiteConfig[] = [site('central')],
  extra: Partial<ConstructorParameters<typeof SessionManager>[0]> = {}
): SessionManager {
  return new SessionManager({
    sites,
    connector: issuer,
    store,
    clock,
    logger: {
      info: m => infos.push(m),
      warn: m => warnings.push(m)
    },
    callbackUrl: CALLBACK,
    ...extra
  });
}

/** The rejection of `promise` (recorded for the token check); fails if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    // With its causes: a wrapped error must not carry a token either.
    errorsSeen.push(
      String(err),
      (err as Error).message,
      inspect(err, { depth: 10, showHidden: true })
    );
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** Log in `site` with the device flow; approved at the first poll. */
export async function deviceLogin(m: SessionManager, name = 'central') {
  const pending = await m.login(name);
  expect(pending.status).toBe('pending');
  issuer.pollQueue.push('approve');
  await clock.advance(5_000);
  expect(m.state(name).status).toBe('logged-in');
}

/**
 * Fresh fakes before each test; after each, no error, warning or info line
 * may contain a token (every fake token contains "SECRET").
 */
export function useSessionHarness(): void {
  beforeEach(() => {
    clock = new FakeClock();
    issuer = new FakeIssuer(clock);
    store = new RecordingStore();
    warnings = [];
    infos = [];
    errorsSeen = [];
  });

  afterEach(() => {
    for (const text of [...errorsSeen, ...warnings, ...infos]) {
      expect(text).not.toMatch(/SECRET/);
    }
  });
}
