"""Small tasks that run on a site's workers and report what they see there.

They live in the package (not in a test module) so schedulers and workers,
which share this environment, can import them.
"""

from __future__ import annotations

import os


def where_am_i() -> str:
    """The site whose worker runs this task."""
    return os.environ["DASK_SITES_SITE"]


def dataset_sum(url: str, variable: str, keys: dict) -> float:
    """Open the site's own dataset from its own object store (with ``keys``) and sum one
    variable."""
    from .datasets import open_site_dataset

    ds = open_site_dataset(url, os.environ["DASK_SITES_STORAGE_ENDPOINT"], keys)
    return float(ds[variable].astype("float64").sum().compute(scheduler="sync"))
