/** The sidecar reads paths as the Jupyter proxy does (one list of cases, tests/data/path-cases.json). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { checkPath } from '../http/paths';

const cases = JSON.parse(
  readFileSync(join(__dirname, '../../../tests/data/path-cases.json'), 'utf8')
) as { accepted: [string, string[]][]; refused: string[] };

describe('checkPath', () => {
  it.each(cases.accepted)('accepts %s', (raw, segments) => {
    expect(checkPath(`/${raw}`)).toEqual({ ok: true, segments });
  });

  it.each(cases.refused)('refuses %s, saying why', raw => {
    const checked = checkPath(`/${raw}`);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.problem).toMatch(
      /^(path segment |the path has an empty segment)/
    );
  });
});
