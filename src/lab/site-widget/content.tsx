/**
 * What the site widget shows: the site's card from the Dask Sites model (the
 * same card as in the panel: login, clusters with live figures, scale and
 * adapt, dashboard), or why it cannot.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { ErrorNote } from '../components/error-note';
import { useSignal } from '../components/hooks';
import { SiteCard } from '../components/site-card';
import type { SitesModel } from '../model/sites-model';

export interface ISiteWidgetContentProps {
  model: SitesModel;
  /** The site's name, from the kernel. */
  site: string;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

export function SiteWidgetContent(props: ISiteWidgetContentProps): JSX.Element {
  const { model, site: name, commands, trans } = props;
  useSignal(model.changed);
  const site = model.site(name);

  if (site) {
    return (
      <SiteCard model={model} site={site} commands={commands} trans={trans} />
    );
  }
  if (model.loadError) {
    return <ErrorNote error={model.loadError} trans={trans} />;
  }
  if (model.loading) {
    return (
      <p className="jp-DaskSites-placeholder" role="status">
        {trans.__('Loading site %1…', name)}
      </p>
    );
  }
  const known = model.sites.map(s => s.name).join(', ');
  return (
    <p className="jp-DaskSites-placeholder" role="status">
      {known
        ? trans.__('Dask Sites has no site "%1". Known sites: %2.', name, known)
        : trans.__(
            'Dask Sites has no site "%1": no sites are configured.',
            name
          )}
    </p>
  );
}
