/** The sidecar refuses link-local and cloud-metadata hosts in a registry (cases shared with Python). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { validateRegistry } from '../registry';
import { hostProblem } from '../registry-hosts';

const cases = JSON.parse(
  readFileSync(join(__dirname, '../../../tests/data/host-cases.json'), 'utf8')
) as { refused: string[]; warned: string[]; fine: string[] };

describe('registry hosts', () => {
  it.each(cases.refused)('refuses %s', url => {
    expect(hostProblem(url)).toBeDefined();
  });

  it.each([...cases.warned, ...cases.fine])('accepts %s', url => {
    expect(hostProblem(url)).toBeUndefined();
  });

  it('refuses a registry that names one, unless allowed', () => {
    const doc = {
      version: 1,
      sites: [
        {
          name: 'lumi',
          label: 'LUMI',
          gateway: { address: 'https://gateway.example.org' },
          auth: { type: 'none' },
          data: { storage_endpoints: ['http://user@169.254.169.254:9000'] }
        }
      ]
    };
    const refused = validateRegistry(doc);
    expect(refused.ok).toBe(false);
    expect(refused.ok ? [] : refused.errors).toEqual([
      'site "lumi": data.storage_endpoints.0: 169.254.169.254 is a link-local address ' +
        '(cloud metadata services live there); allow it with ' +
        'c.DaskSites.allow_link_local_hosts (sidecar: --allow-link-local-hosts)'
    ]);
    expect(validateRegistry(doc, { allowLinkLocalHosts: true }).ok).toBe(true);
  });
});
