"""Dask Sites for notebook users: ``%load_ext dask_sites``, site-aware data opening and routing.

The routing API arrives with the kernel extension; today this module gives
the version and the testbed's dataset helpers.
"""

from jupyter_ext_server import __version__

__all__ = ["__version__"]
