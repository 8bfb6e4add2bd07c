/**
 * What to do first, while no site has a cluster: log in, start a cluster,
 * tag a cell. Steps already done are ticked, so the list says where the
 * user is.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { ISiteState } from '../../protocol';

export function FirstSteps(props: {
  sites: readonly ISiteState[];
  trans: TranslationBundle;
}): JSX.Element | null {
  const { sites, trans } = props;
  if (!sites.length || sites.some(site => site.clusters.length > 0)) {
    return null;
  }
  const loggedIn = sites.some(
    site =>
      site.login.status === 'logged-in' || site.login.status === 'not-required'
  );
  const steps: [boolean, string][] = [
    [
      loggedIn,
      trans.__(
        'Log in to a site below (sites that share a login are logged in together).'
      )
    ],
    [
      false,
      trans.__(
        'Start a cluster there with "New cluster", or let a tagged cell start one.'
      )
    ],
    [
      false,
      trans.__(
        "Tag a notebook cell with the site (the site menu in the cell's toolbar) and run it: its Dask work runs at that site, next to the data."
      )
    ]
  ];
  return (
    <section
      className="jp-DaskSites-firstSteps"
      aria-label={trans.__('First steps')}
    >
      <h3>{trans.__('First steps')}</h3>
      <ol>
        {steps.map(([done, text], i) => (
          <li key={i} data-done={done || undefined}>
            {done ? '✓ ' : ''}
            {text}
          </li>
        ))}
      </ol>
    </section>
  );
}
