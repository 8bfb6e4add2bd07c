"""Notebooks run headless with their Dask Sites tags honoured: ``dask-sites run`` and
papermill's ``dask-sites`` engine, each with a sidecar of its own."""

from .parameters import inject_parameters, parse_value
from .run import run_notebook
from .standalone_sidecar import RunError, standalone_sidecar
from .tagged_client import SiteTaggedClient, SiteTagging

__all__ = [
    "RunError",
    "SiteTaggedClient",
    "SiteTagging",
    "inject_parameters",
    "parse_value",
    "run_notebook",
    "standalone_sidecar",
]
