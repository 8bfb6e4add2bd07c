import { LabIcon } from '@jupyterlab/ui-components';

/**
 * A map pin holding Dask's three slanted bars: computation at a place. The
 * pin follows the theme (`jp-icon3`); the bars keep Dask's colours, so the
 * icon is recognisable among the sidebar's grey ones.
 */
const SITES_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" fill-rule="evenodd" d="M12 1C7 1 3.2 4.9 3.2 9.7c0 6.2 8.8 13.6 8.8 13.6s8.8-7.4 8.8-13.6C20.8 4.9 17 1 12 1zm0 2.2c-3.8 0-6.6 2.9-6.6 6.5 0 4.2 5.2 9.6 6.6 10.9 1.4-1.3 6.6-6.7 6.6-10.9 0-3.6-2.8-6.5-6.6-6.5z"/>
  <path fill="#FDA061" d="M9.4 5.6h6l-1.5 2.2h-6z"/>
  <path fill="#FC6E6B" d="M8.3 9.1h7.9l-1.5 2.2H6.8z"/>
  <path fill="#EF1161" d="M9.6 12.6h4.6l-1.5 2.2H8.1z"/>
</svg>`;

export const sitesIcon = new LabIcon({
  name: 'jupyterlab-dask-sites:sites',
  svgstr: SITES_SVG
});
