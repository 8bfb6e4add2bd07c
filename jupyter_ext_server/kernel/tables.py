"""What notebook users call for tables: ``dask_sites.open_parquet``, ``open_csv``.

Like ``open_zarr`` for arrays: the table's site comes from ``site=`` or the
registry patterns its URL matches, it is read through that site's storage
endpoint, and the site is recorded for its URL, so computations on the
dataframe run there (and a computation over two sites' tables is split, see
``frame_planner.py``).
"""

from __future__ import annotations

from .errors import SiteError, store_refused
from .state import loaded_router


def open_parquet(url: str, site: str | None = None, **kwargs):
    """``dask.dataframe.read_parquet`` that knows where the table lives.

    ``site`` defaults to the site whose registry patterns match ``url``. The
    files are read through that site's storage endpoint unless
    ``storage_options`` say otherwise; other keywords go to ``read_parquet``."""
    return _open("read_parquet", url, site, kwargs)


def open_csv(url: str, site: str | None = None, **kwargs):
    """``dask.dataframe.read_csv`` that knows where the files live (as ``open_parquet``)."""
    return _open("read_csv", url, site, kwargs)


def _open(reader: str, url: str, site: str | None, kwargs: dict):
    # Imported on use: dask.dataframe needs pyarrow and takes a while to load,
    # and the extension loads in every kernel.
    import dask.dataframe as dd  # noqa: PLC0415 (see above)

    locations = loaded_router().locations
    site = locations.catalogue.site_for(url, site)
    if kwargs.get("storage_options") is None:
        kwargs["storage_options"] = loaded_router().storage.options_for(site, url)
    try:
        frame = getattr(dd, reader)(url, **kwargs)
    except PermissionError as err:
        raise store_refused(site, url, err) from err
    except OSError as err:
        raise SiteError(
            f"no table at {url} (site {site}): {type(err).__name__}. Check the path "
            "(and that the table is published at that site)."
        ) from err
    how = "dask_sites.open_parquet" if reader == "read_parquet" else "dask_sites.open_csv"
    locations.record_url(url, site, f"opened with {how}(..., site={site!r})")
    return frame
