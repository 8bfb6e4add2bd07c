/**
 * stylelint for style/: the standard config, CSS checked against the
 * specification (csstree), and JupyterLab's naming (`jp-DaskSites-card`,
 * `--jp-DaskSites-site-colour`), as the JupyterLab extension template sets it.
 */
const jupyterLabName = '^([a-z][A-z\\d]*)(-[A-z\\d]+)*$';

export default {
  extends: ['stylelint-config-standard'],
  plugins: ['stylelint-csstree-validator'],
  rules: {
    'csstree/validator': true,
    'property-no-vendor-prefix': null,
    'selector-no-vendor-prefix': null,
    'value-no-vendor-prefix': null,
    'selector-class-pattern': jupyterLabName,
    'custom-property-pattern': jupyterLabName,
    'keyframes-name-pattern': jupyterLabName,
    // States are ordered on purpose (focus and disabled after hover, so they
    // win when both apply); the rule would ask for the opposite.
    'no-descending-specificity': null
  }
};
