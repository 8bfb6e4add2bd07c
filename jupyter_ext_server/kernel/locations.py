"""Where a graph's input layers live.

Three sources, strongest first:

1. recorded: data opened with ``dask_sites.open_zarr`` (or marked with
   ``dask_sites.at``) records the layers it creates;
2. storage: a Zarr array in an input layer whose URL matches a site's
   registry patterns, or whose object store is a site's storage endpoint;
3. attrs: xarray objects in the notebook's namespace that carry
   ``attrs["location"]`` (the DEDL notebooks' convention).

Dataframes have no layers to record: their readers' URLs are recorded
instead (``dask_sites.open_parquet``, ``at``) and matched with the registry
patterns and storage endpoints the same way (``frame_inputs``).

Only input layers (those reading no other layer) are located; layer names
survive composition, so ``a.sum() * b.mean()`` still shows both inputs.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator

from dask.highlevelgraph import HighLevelGraph

from .catalogue import SiteCatalogue
from .compat import DataNode, Task, is_expression_collection
from .errors import SiteError
from .frames import TableRead, table_reads
from .planner import key_name

#: Attributes that lead from xarray's lazy wrappers down to a Zarr array and its store.
_WRAPPER_ATTRIBUTES = ("array", "_array", "store", "_store", "map", "mapper")
_MAX_DEPTH = 8
#: Tasks looked at per input layer: all chunks of one array share a store.
_TASKS_PER_LAYER = 2
#: Keys of a collapsed input layer searched for recorded names.
_KEYS_LOOKED_AT = 100_000


def input_layers(hlg) -> list[str]:
    return [name for name in hlg.layers if not hlg.dependencies.get(name)]


def graph_of(obj):
    """The HighLevelGraph of a dask collection or a dask-backed xarray object."""
    if hasattr(obj, "__dask_graph__"):
        graph = obj.__dask_graph__()
        if graph is not None:
            if not isinstance(graph, HighLevelGraph):
                graph = HighLevelGraph.from_collections(str(id(obj)), graph, dependencies=())
            return graph
    return None


class DataLocations:
    def __init__(self, catalogue: SiteCatalogue, namespace: Callable[[], dict] | None = None):
        self.catalogue = catalogue
        self.namespace = namespace
        self._recorded: dict[str, tuple[str, str]] = {}
        #: Tables' URLs recorded for dataframes: ``{url: (site, why)}``.
        self._recorded_urls: dict[str, tuple[str, str]] = {}
        self._probed: dict[str, tuple[str, str] | None] = {}
        self._namespace_scanned = False
        #: Called after ``record``: the cell that opened data may compute on it at once.
        self.on_record: Callable[[], None] | None = None

    def new_cell(self) -> None:
        """The namespace may have changed: scan it again (at most once per cell)."""
        self._namespace_scanned = False

    def record(self, obj, site: str, why: str | Callable[[str | None], str]) -> int:
        """Remember that ``obj``'s inputs live at ``site``; returns how many layers.

        ``why`` says so for people; a function of the variable's name gives
        each variable of an xarray object its own (``tp from s3://...``)."""
        count = 0
        if is_expression_collection(obj):  # a dataframe: its tables' URLs
            for read in table_reads(obj.expr, _storage_in):
                for url in read.urls:
                    self.record_url(url, site, why(None) if callable(why) else why)
                    count += 1
            if count and self.on_record is not None:
                self.on_record()
            return count
        for variable, graph in _graphs_in(obj):
            reason = why(variable) if callable(why) else why
            for name in input_layers(graph):
                self._recorded[name] = (site, reason)
                count += 1
        if count and self.on_record is not None:
            self.on_record()
        return count

    def record_url(self, url: str, site: str, why: str) -> None:
        """Tables at ``url`` (and under it) live at ``site``."""
        self._recorded_urls[url.rstrip("/")] = (site, why)

    def known(self) -> bool:
        return bool(self._recorded) or bool(self._recorded_urls) or self.catalogue.has_data_rules()

    def frame_inputs(self, expr) -> dict[str, tuple[str, str]]:
        """``{reader node: (site, why)}`` for the table readers of a dataframe
        expression whose site is known. A reader whose paths name two sites is
        refused: its partitions cannot be told apart."""
        found: dict[str, tuple[str, str]] = {}
        for read in table_reads(expr, _storage_in):
            places = [
                (url, where) for url in read.urls if (where := self._site_of_table(read, url))
            ]
            sites = sorted({site for _, (site, _) in places})
            if len(sites) > 1:
                raise SiteError(
                    f"One {read.what} reads tables of {' and '.join(sites)} "
                    f"({', '.join(url for url, _ in places[:4])}). Read each site's files with "
                    "a reader of its own and combine them with dd.concat([...]), so each site "
                    "reduces its own part."
                )
            if places:
                url, (site, why) = places[0]
                more = f" and {len(read.urls) - 1} more path(s)" if len(read.urls) > 1 else ""
                found[read.name] = (site, f"{read.what} {url}{more} ({why})")
        return found

    def _site_of_table(self, read: TableRead, url: str) -> tuple[str, str] | None:
        try:
            for recorded, where in self._recorded_urls.items():
                if url.rstrip("/") == recorded or url.startswith(recorded + "/"):
                    return where
            if site := self.catalogue.site_of_url(url):
                return site, f"the URL matches {site}'s data patterns"
            if read.endpoint and (site := self.catalogue.site_of_endpoint(read.endpoint)):
                return site, f"its store is {site}'s storage endpoint"
        except SiteError:
            return None  # the sidecar is away: the table is not located (it runs here)
        return None

    def inputs_of(self, hlg) -> dict[str, tuple[str, str]]:
        """``{input layer: (site, why)}`` for the inputs of ``hlg`` whose site is known.

        Best effort: a layer that cannot be looked into, or a sidecar that is
        away, leaves that input unlocated (it runs where the cell runs)."""
        found: dict[str, tuple[str, str]] = {}
        unknown = []
        for name in input_layers(hlg):
            layer = hlg.layers[name]
            where = (
                self._recorded.get(name) or self._by_key_names(layer) or self._probe(name, layer)
            )
            if where:
                found[name] = where
            else:
                unknown.append(name)
        if unknown and self.namespace is not None and not self._namespace_scanned:
            self._namespace_scanned = True
            try:
                self._record_namespace()
            except SiteError:
                return found
            for name in unknown:
                where = self._recorded.get(name) or self._by_key_names(hlg.layers[name])
                if where:
                    found[name] = where
        return found

    def _by_key_names(self, layer) -> tuple[str, str] | None:
        """A graph handed to ``dask.delayed`` collapses into one layer whose keys
        still carry the recorded layers' names."""
        if not self._recorded or not _is_materialized(layer) or len(layer) > _KEYS_LOOKED_AT:
            return None
        for key in layer:
            name = key_name(key)
            if isinstance(name, str) and name in self._recorded:
                return self._recorded[name]
        return None

    def _probe(self, name: str, layer) -> tuple[str, str] | None:
        if name not in self._probed:
            try:
                self._probed[name] = self._site_of_storage(name, layer)
            except SiteError:
                return None  # the sidecar is away: try again later
            except Exception:  # a layer that cannot be looked into is simply not located
                self._probed[name] = None
        return self._probed[name]

    def _site_of_storage(self, layer_name: str, layer) -> tuple[str, str] | None:
        # Only materialised layers: xarray keeps its store in one ("original-...");
        # materialising a Blockwise layer to look would cost more than the compute.
        if not _is_materialized(layer):
            return None
        for value in _first_values(layer, _TASKS_PER_LAYER):
            found = _storage_of(value, 0)
            if not found:
                continue
            url, endpoint = found
            what = _read_from(layer_name, url)
            if url and (site := self.catalogue.site_of_url(url)):
                return site, f"{what} (the URL matches {site}'s data patterns)"
            if endpoint and (site := self.catalogue.site_of_endpoint(endpoint)):
                return site, f"{what} (its store is {site}'s storage endpoint)"
        return None

    def _record_namespace(self) -> None:
        xr = sys.modules.get("xarray")
        if xr is None or self.namespace is None:
            return  # no xarray objects to look at (and none is loaded to find out)
        sites = set(self.catalogue.names())
        for held_as, value in list((self.namespace() or {}).items()):
            if not isinstance(value, (xr.Dataset, xr.DataArray)):
                continue
            location = value.attrs.get("location")
            if not isinstance(location, str) or location not in sites:
                continue
            for variable, graph in _graphs_in(value):
                what = f"{held_as}.{variable}" if isinstance(value, xr.Dataset) else held_as
                why = f'{what} (its attrs["location"] is {location!r})'
                for name in input_layers(graph):
                    # Opened or stored data says more than an attribute copied along.
                    self._recorded.setdefault(name, (location, why))


def _graphs_in(obj) -> Iterator[tuple[str | None, object]]:
    """``(variable name, graph)`` of a collection (no name), or of each
    dask-backed variable of an xarray object."""
    xr = sys.modules.get("xarray")
    if xr is not None and isinstance(obj, (xr.Dataset, xr.DataArray)):
        if isinstance(obj, xr.Dataset):
            variables = list(obj.variables.items())
        else:
            variables = [(obj.name, obj.variable)]
        for name, variable in variables:
            data = variable._data
            if hasattr(data, "__dask_graph__"):
                yield (str(name) if name is not None else None), graph_of(data)
        return
    graph = graph_of(obj)
    if graph is not None:
        yield None, graph


#: The layer xarray makes for a variable it opens: ``original-open_dataset-tp-<token>``.
_OPENED_VARIABLE = re.compile(r"^(?:original-)?open_dataset-(.+)-[0-9a-f]{16,}$")


def _read_from(layer_name: str, url: str | None) -> str:
    """``flood_extent from s3://central-gfm/flood_extent.zarr``, as far as the
    layer's name tells the variable."""
    where = url or "a store"
    opened = _OPENED_VARIABLE.match(str(layer_name))
    return f"{opened.group(1)} from {where}" if opened else where


def _is_materialized(layer) -> bool:
    check = getattr(layer, "is_materialized", None)
    try:
        return bool(check()) if callable(check) else True
    except Exception:
        return False


def _first_values(layer, count: int) -> Iterator:
    for index, value in enumerate(layer.values()):
        if index >= count:
            return
        yield value


def _storage_in(value) -> tuple[str | None, str | None] | None:
    return _storage_of(value, 0)


def _storage_of(value, depth: int) -> tuple[str | None, str | None] | None:
    """(URL, endpoint) of the Zarr store or fsspec mapper that ``value`` reads, if any."""
    if value is None or depth > _MAX_DEPTH or isinstance(value, (str, bytes, int, float)):
        return None
    fs = getattr(value, "fs", None)
    path = getattr(value, "path", None) or getattr(value, "root", None)
    if fs is not None and hasattr(fs, "protocol") and isinstance(path, str):
        return _url_of(fs, path), _endpoint_of(fs)
    for child in _children(value):
        if found := _storage_of(child, depth + 1):
            return found
    return None


def _children(value) -> Iterator:
    if isinstance(value, Task):
        yield from value.args
        yield from value.kwargs.values()
        return
    if isinstance(value, DataNode):
        yield value.value
        return
    if isinstance(value, (tuple, list)):
        yield from value[:8]
        return
    for attribute in _WRAPPER_ATTRIBUTES:
        try:
            child = getattr(value, attribute, None)
        except Exception:
            continue
        if child is not None and child is not value:
            yield child


def _url_of(fs, path: str) -> str | None:
    try:
        return fs.unstrip_protocol(path)
    except Exception:
        return None


def _endpoint_of(fs) -> str | None:
    kwargs = getattr(fs, "client_kwargs", None) or {}
    endpoint = kwargs.get("endpoint_url") or getattr(fs, "endpoint_url", None)
    return endpoint if isinstance(endpoint, str) else None
