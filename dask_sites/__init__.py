"""Dask Sites for notebook users: ``%load_ext dask_sites``, then ``%%site NAME`` or a cell tag.

In kernels started by a Jupyter server running Dask Sites the extension is
loaded already.
"""

from jupyter_ext_server import __version__
from jupyter_ext_server.kernel import load_ipython_extension, unload_ipython_extension

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]
