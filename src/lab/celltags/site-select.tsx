/**
 * A site dropdown: "no site" plus the sites of the model, with the chosen
 * site's colour as a swatch. Used by the cell toolbar and the notebook
 * toolbar; a tag naming a site that is not configured stays visible.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ISiteState } from '../../protocol';

export interface ISiteSelectProps {
  sites: readonly ISiteState[];
  value: string | null;
  onChange: (site: string | null) => void;
  /** Label of the empty choice ("no site", "run locally"). */
  noneLabel: string;
  /** Accessible name and tooltip. */
  title: string;
  trans: TranslationBundle;
  className?: string;
}

export function SiteSelect(props: ISiteSelectProps): JSX.Element {
  const { sites, value, onChange, noneLabel, title, trans } = props;
  const known = sites.some(site => site.name === value);
  const colour = sites.find(site => site.name === value)?.colour;
  // Always set: without a colour of its own the swatch would take the one of
  // an ancestor (a cell routed by the notebook default carries that site's
  // colour) and show it beside "no site"; `initial` falls back to the CSS.
  const style = {
    '--jp-DaskSites-site-colour': colour ?? 'initial'
  } as React.CSSProperties;
  return (
    <span
      className={`jp-DaskSites-siteSelect ${props.className ?? ''}`}
      data-site={value ?? ''}
      style={style}
    >
      <span className="jp-DaskSites-pickerSwatch" aria-hidden="true" />
      <HTMLSelect
        value={value ?? ''}
        title={title}
        aria-label={title}
        onChange={event => onChange(event.currentTarget.value || null)}
        onKeyDown={event => event.stopPropagation()}
      >
        <option value="">{noneLabel}</option>
        {sites.map(site => (
          <option key={site.name} value={site.name} title={site.label}>
            {site.name}
          </option>
        ))}
        {value && !known && (
          <option value={value}>
            {trans.__('%1 (not configured)', value)}
          </option>
        )}
      </HTMLSelect>
    </span>
  );
}
