"""What notebook users call: ``dask_sites.open_zarr``, ``at``, ``client``, ``explain``,
``last_record``.

Data opened or marked here routes without a tag: a computation on it runs at
its site, and one that mixes sites is split (see ``scheduler.py``).
"""

from __future__ import annotations

import html

import fsspec

from ..storage.site_rules import site_storage_options
from .compat import is_expression_collection
from .describe import describe
from .errors import SiteError, store_refused
from .locations import DataLocations, graph_of
from .placement import Placement
from .planner import Plan, plan_graph
from .scheduler import graph_and_keys, plan_frames
from .split import SplitRun, measure_parts, move_limit
from .state import current_router, loaded_router


def _locations() -> DataLocations:
    return loaded_router().locations


def open_zarr(url: str, site: str | None = None, storage_options: dict | None = None, **kwargs):
    """``xarray.open_zarr`` that knows where the data lives.

    ``site`` defaults to the site whose registry patterns match ``url``; the
    store is read through that site's storage endpoint, with the user's keys
    for it, unless ``storage_options`` say otherwise. The dataset's ``attrs["location"]`` is
    set to the site, and its computations run there.
    """
    # Imported on use: xarray takes most of a second to load, and the extension
    # loads in every kernel.
    import xarray as xr  # noqa: PLC0415 (see above)

    locations = _locations()
    site = locations.catalogue.site_for(url, site)
    if storage_options is None:
        storage_options = loaded_router().storage.options_for(site, url)
    try:
        dataset = xr.open_zarr(url, storage_options=storage_options, **kwargs)
    except PermissionError as err:
        raise store_refused(site, url, err) from err
    except Exception as err:
        if not _is_missing(err):
            raise
        raise SiteError(
            f"no dataset at {url} (site {site}): {type(err).__name__}. Check the path "
            "(and that the data is published at that site)."
        ) from err
    dataset.attrs["location"] = site
    locations.record(dataset, site, lambda variable: f"{variable or 'data'} from {url}")
    return dataset


def _is_missing(err: BaseException) -> bool:
    """Did opening fail because nothing is there (zarr, fsspec and xarray say it
    in several ways)?"""
    names = {type(e).__name__ for e in (err, err.__cause__) if e is not None}
    return bool(names & _MISSING) or (isinstance(err, KeyError) and ".zmetadata" in str(err))


_MISSING = {"FileNotFoundError", "GroupNotFoundError", "NodeNotFoundError", "PathNotFoundError"}


def filesystem(site: str) -> fsspec.AbstractFileSystem:
    """An s3fs filesystem of ``site``'s object store with the user's keys for it,
    for code that builds its own store (``s3fs.S3Map(root, s3=filesystem("central"))``,
    as the DEDL notebooks do with keys typed in)."""
    router = loaded_router()
    router.locations.catalogue.require(site)
    return fsspec.filesystem(
        "s3", **site_storage_options(router.locations.catalogue.storage_of(site))
    )


def client(site: str):
    """The connected ``distributed.Client`` of ``site``'s cluster: the one its
    tagged cells use, created on demand as a tagged cell would. For what needs
    a ``Client``: futures (``submit``, ``map``), ``run``, ``upload_file``,
    ``wait_for_workers``. It is not made the default client, so untagged cells
    keep routing by their data."""
    router = loaded_router()
    router.require_site(site)
    return router.client_for(site)


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
    """A plan, readable in the notebook (``repr``) and by code (``plan``,
    ``placement``: where the mix runs and every hop)."""

    def __init__(
        self,
        plan: Plan,
        limit: int,
        placement: Placement | None = None,
        parts: dict | None = None,
        measured_seconds: float | None = None,
    ):
        self.plan = plan
        self.limit = limit
        self.placement = placement
        self.parts = parts
        self.measured_seconds = measured_seconds

    @property
    def refused(self) -> bool:
        total = self.placement.total if self.placement else None
        return total is not None and total > self.limit

    def __repr__(self) -> str:
        if self.plan.kind != "split":
            return describe(self.plan)
        text = describe(self.plan, self.limit, self.placement, self.parts)
        if self.measured_seconds is not None:
            text += (
                f"\nSome sizes are not known in advance: each site computed its part to "
                f"measure it ({self.measured_seconds:.1f} s) and let it go."
            )
        if self.refused:
            text += "\nThis would be refused: it moves more than the limit."
        return text

    def _repr_html_(self) -> str:
        return f"<pre class='dask-sites-explain'>{html.escape(repr(self))}</pre>"


def explain(*objs, measure: bool = True) -> Explanation:
    """How Dask Sites would run ``dask.compute(*objs)`` from an untagged cell.

    Costs nothing at the sites, unless a part's size cannot be known before
    it runs and ``measure`` is true: then each site computes its part to
    measure it (and says so)."""
    for obj in objs:
        if graph_of(obj) is None:
            raise SiteError(
                "explain() needs dask collections or dask-backed xarray objects, "
                f"not {type(obj).__name__}."
            )
    locations = _locations()
    if any(is_expression_collection(obj) for obj in objs):  # dataframes
        graph, keys, plan = plan_frames(list(objs), locations)
    else:
        graph, keys = graph_and_keys(objs)
        plan = plan_graph(graph, keys, locations.inputs_of(graph)) if graph else Plan("none", ())
    if plan.kind != "split":
        return Explanation(plan, move_limit())
    split = SplitRun(graph, keys, plan)
    placement, sizes, seconds = split.estimated_placement(), split.estimated_sizes(), None
    unknown = any(s.for_mix is None or s.for_caller is None for s in sizes.values())
    if unknown and measure:
        router = loaded_router()
        clients = {site: router.client_for(site) for site in split.sites}
        placement, sizes, seconds = measure_parts(split, clients)
    return Explanation(plan, move_limit(), placement, split.described_parts(sizes), seconds)
