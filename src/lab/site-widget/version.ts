/**
 * The npm package name and version the site widget is registered under; the
 * Python `SiteWidget` names them as `_model_module` and `^VERSION`. Keep the
 * version equal to package.json's (a jest test checks it).
 */
export const MODULE_NAME = 'jupyterlab-dask-sites';
export const MODULE_VERSION = '0.1.0';
