import { LabIcon } from '@jupyterlab/ui-components';

/** Three sites joined by links: the Dask Sites sidebar icon. */
const SITES_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M11.2 7.6 6.4 15.6l1.7 1 4.8-8zM12.8 7.6l-1.7 1 4.8 8 1.7-1zM7 18.5h10v2H7z"/>
    <circle cx="12" cy="5" r="3"/>
    <circle cx="5" cy="19" r="3"/>
    <circle cx="19" cy="19" r="3"/>
  </g>
</svg>`;

export const sitesIcon = new LabIcon({
  name: 'jupyterlab-dask-sites:sites',
  svgstr: SITES_SVG
});
