"""The IPython side of Dask Sites: which site a cell runs at, and that site's Client for it."""

from .extension import load_ipython_extension, unload_ipython_extension

__all__ = ["load_ipython_extension", "unload_ipython_extension"]
