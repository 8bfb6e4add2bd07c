"""What notebook users call: ``dask_sites.open_zarr``, ``at``, ``explain``, ``last_record``.

Data opened or marked here routes without a tag: a computation on it runs at
its site, and one that mixes sites is split (see ``scheduler.py``).
"""

from __future__ import annotations

import html

from .errors import SiteError
from .locations import DataLocations, graph_of
from .planner import Plan, describe
from .scheduler import plan_collections
from .split import move_limit
from .state import current_router, loaded_router


def _locations() -> DataLocations:
    return loaded_router().locations


def open_zarr(url: str, site: str | None = None, storage_options: dict | None = None, **kwargs):
    """``xarray.open_zarr`` that knows where the data lives.

    ``site`` defaults to the site whose registry patterns match ``url``; the
    store is read through that site's storage endpoint unless
    ``storage_options`` say otherwise. The dataset's ``attrs["location"]`` is
    set to the site, and its computations run there.
    """
    # Imported on use: xarray takes most of a second to load, and the extension
    # loads in every kernel.
    import xarray as xr  # noqa: PLC0415 (see above)

    locations = _locations()
    catalogue = locations.catalogue
    site = site or catalogue.site_of_url(url)
    if site is None:
        raise SiteError(
            f"No site's data patterns match {url}; pass site=NAME "
            f"(known sites: {', '.join(catalogue.names()) or 'none'})."
        )
    catalogue.require(site)
    if storage_options is None and url.startswith(("s3://", "s3a://")):
        endpoint = catalogue.endpoint_of(site)
        storage_options = {"client_kwargs": {"endpoint_url": endpoint}} if endpoint else None
    dataset = xr.open_zarr(url, storage_options=storage_options, **kwargs)
    dataset.attrs["location"] = site
    locations.record(dataset, site, f"opened with dask_sites.open_zarr({url!r})")
    return dataset


def at(obj, site: str):
    """Mark ``obj``'s inputs (a dask collection or xarray object) as living at ``site``."""
    locations = _locations()
    locations.catalogue.require(site)
    if not locations.record(obj, site, f"marked with dask_sites.at(..., {site!r})"):
        raise SiteError("dask_sites.at needs a dask collection or a dask-backed xarray object.")
    return obj


def last_record() -> dict | None:
    """What the last routed cell did: sites, seconds, bytes brought back (as shown under it)."""
    router = current_router()
    record = router.last_record if router else None
    return record.as_dict() if record else None


class Explanation:
    """A plan, readable in the notebook (``repr``) and by code (``plan``)."""

    def __init__(self, plan: Plan, limit: int):
        self.plan = plan
        self.limit = limit

    @property
    def refused(self) -> bool:
        estimate = self.plan.estimated_bytes
        return self.plan.kind == "split" and estimate is not None and estimate > self.limit

    def __repr__(self) -> str:
        text = describe(self.plan, self.limit if self.plan.kind == "split" else None)
        if self.refused:
            text += "\nThis would be refused: it moves more than the limit."
        return text

    def _repr_html_(self) -> str:
        return f"<pre class='dask-sites-explain'>{html.escape(repr(self))}</pre>"


def explain(*objs) -> Explanation:
    """How Dask Sites would run ``dask.compute(*objs)`` from an untagged cell."""
    for obj in objs:
        if graph_of(obj) is None:
            raise SiteError(
                "explain() needs dask collections or dask-backed xarray objects, "
                f"not {type(obj).__name__}."
            )
    return Explanation(plan_collections(objs, _locations()), move_limit())
