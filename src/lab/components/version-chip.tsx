/**
 * A cluster whose package versions differ from a kernel's (as the kernel
 * reported them): a chip naming the packages, the versions in its tooltip.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { IVersionMismatch } from '../../protocol';

export function VersionChip(props: {
  mismatches: readonly IVersionMismatch[];
  trans: TranslationBundle;
}): JSX.Element {
  const { mismatches, trans } = props;
  const fatal = mismatches.some(m => m.fatal);
  const lines = mismatches.map(m =>
    trans.__(
      '%1: kernel %2, cluster %3',
      m.package,
      m.here ?? trans.__('not installed'),
      m.there
    )
  );
  const advice = fatal
    ? trans.__(
        'Kernels refuse this cluster: pickled work cannot cross these versions. Start a cluster whose image matches the kernel.'
      )
    : trans.__(
        'Work may fail in ways that are hard to read. Choose a cluster image that matches the kernel.'
      );
  return (
    <span
      className={`jp-DaskSites-chip jp-DaskSites-versions${fatal ? ' jp-mod-fatal' : ''}`}
      role="status"
      title={[...lines, advice].join('\n')}
    >
      {fatal
        ? trans.__('versions: unusable')
        : trans.__(
            'versions differ: %1',
            mismatches.map(m => m.package).join(', ')
          )}
    </span>
  );
}
