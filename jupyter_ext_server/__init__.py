"""Dask Sites: the Jupyter server extension, the labextension it ships, and the sidecar it runs."""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # a source checkout that was never built or installed
    __version__ = "0.0.0.dev0"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-dask-sites"}]


def _jupyter_server_extension_points():
    from .server.app import DaskSites

    return [{"module": "jupyter_ext_server", "app": DaskSites}]
