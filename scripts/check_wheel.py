"""Check that a built wheel ships the prebuilt labextension, the server config and the bundles."""

import sys
import zipfile

REQUIRED = [
    "jupyter_ext_server/bundled/sidecar.mjs",
    "jupyter_ext_server/bundled/testbed-issuer.mjs",
    "jupyter_ext_server/registry/site-registry.schema.json",
    "share/jupyter/labextensions/jupyterlab-dask-sites/package.json",
    "share/jupyter/labextensions/jupyterlab-dask-sites/install.json",
    "etc/jupyter/jupyter_server_config.d/jupyter_ext_server.json",
]

wheel = sys.argv[1]
names = zipfile.ZipFile(wheel).namelist()
missing = [r for r in REQUIRED if not any(n.endswith(r) for n in names)]
if missing:
    sys.exit(f"{wheel} lacks: {', '.join(missing)}")
print(f"{wheel}: {len(names)} files, labextension, server config and bundles present")
