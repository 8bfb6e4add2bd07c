"""Dask Sites for notebook users.

In kernels started by a Jupyter server running Dask Sites the extension is
loaded already; elsewhere ``%load_ext dask_sites``. Then tag cells with a site
(``%%site NAME`` or the cell toolbar), or open data with ``open_zarr`` (tables:
``open_parquet``, ``open_csv``) and let each computation run where its data
lives.
"""

from jupyter_ext_server import __version__
from jupyter_ext_server.kernel import load_ipython_extension, unload_ipython_extension
from jupyter_ext_server.kernel.api import (
    Explanation,
    at,
    client,
    explain,
    filesystem,
    last_record,
    open_zarr,
)
from jupyter_ext_server.kernel.errors import DataWouldCrossSites, MoveRefused, SiteError
from jupyter_ext_server.kernel.tables import open_csv, open_parquet
from jupyter_ext_server.kernel.widget import widget

__all__ = [
    "DataWouldCrossSites",
    "Explanation",
    "MoveRefused",
    "SiteError",
    "__version__",
    "at",
    "client",
    "explain",
    "filesystem",
    "last_record",
    "load_ipython_extension",
    "open_csv",
    "open_parquet",
    "open_zarr",
    "unload_ipython_extension",
    "widget",
]
