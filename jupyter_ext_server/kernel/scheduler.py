"""The scheduler Dask uses during a cell: it sends each computation where its data lives.

Installed as ``dask.config["scheduler"]`` for the cell. Dask hands it every
``compute`` (``__call__``) and every ``persist`` (``persist``, the protocol
``dask.persist`` checks for). It decides per computation:

- the cell has a site (``%%site``, cell tag, notebook default): everything
  runs there; inputs living elsewhere give a ``DataWouldCrossSites`` warning;
- otherwise by data location: no site data runs here as before, one site's
  data runs at that site, several sites' data is split (``planner.py``).
"""

from __future__ import annotations

import time
import warnings
from typing import Callable, Hashable, Iterable

from .clients import SiteError
from .locations import DataLocations, graph_of
from .planner import Plan, describe, format_bytes, layers_holding, plan_graph, short_name
from .record import CellRecord
from .routing import Route

DEFAULT_MOVE_LIMIT = "256 MB"


class DataWouldCrossSites(UserWarning):
    """A tagged cell reads data that lives at another site."""


class MoveRefused(SiteError):
    """A split would move more than ``dask-sites.move-limit`` between sites."""


def move_limit() -> int:
    """``dask.config`` key ``dask-sites.move-limit`` (bytes or "256 MB")."""
    import dask
    from dask.utils import parse_bytes

    value = dask.config.get("dask-sites.move-limit", DEFAULT_MOVE_LIMIT)
    return int(parse_bytes(value) if isinstance(value, str) else value)


def graph_of_expr(expr):
    """The unoptimised HighLevelGraph behind what ``dask.compute`` passes on, or None.

    ``dask.compute`` wraps legacy collections (arrays, delayed, bags, xarray's
    arrays) in ``HLGExpr`` nodes; their ``hlg`` keeps the layer names the
    data was opened with. Expression collections (dataframes) have none.
    """
    from dask._expr import HLGExpr
    from dask.highlevelgraph import HighLevelGraph

    graphs, pending = [], [expr]
    while pending:
        node = pending.pop()
        if isinstance(node, HLGExpr):
            graphs.append(node.hlg)
            continue
        children = list(node.dependencies())
        if not children and not _is_sequence(node):
            return None  # an expression we cannot read layer by layer
        pending.extend(children)
    return HighLevelGraph.merge(*graphs) if graphs else None


def _is_sequence(node) -> bool:
    return type(node).__name__ in ("_ExprSequence", "_HLGExprSequence")


class SiteScheduler:
    def __init__(
        self,
        route: Route,
        client_for: Callable[[str], object],
        locations: DataLocations,
        record: CellRecord,
    ):
        self.route = route
        self.client_for = client_for
        self.locations = locations
        self.record = record
        self._warned: set[str] = set()

    # -- dask.compute ------------------------------------------------------------

    def __call__(self, expr, keys: list, **kwargs):
        started = time.perf_counter()
        try:
            return self._compute(expr, keys, kwargs)
        finally:
            self.record.wall_seconds += time.perf_counter() - started

    def _compute(self, expr, keys: list, kwargs: dict):
        graph = graph_of_expr(expr)
        if graph is not None:
            graph = _layers_needed(graph, keys)  # only what these keys read decides where
        inputs = self.locations.inputs_of(graph) if graph is not None else {}
        if self.route.site:
            self._warn_if_crossing(inputs)
            return self._run_at(self.route.site, expr, keys, kwargs)
        plan = plan_graph(graph, keys, inputs) if inputs else Plan("none", ())
        if plan.kind == "none":
            return self._run_here(expr, keys, kwargs)
        self.record.source = "data location"
        if plan.kind == "single":
            return self._run_at(plan.site, expr, keys, kwargs, plan)
        return self._run_split(graph, keys, plan)

    # -- dask.persist --------------------------------------------------------------

    def persist(self, collections, optimize_graph: bool = True, **kwargs):
        site = self.route.site
        if site is None:
            plan = plan_collections(collections, self.locations)
            if plan.kind == "split":
                raise SiteError(
                    "persist() cannot keep data of several sites in one place:\n"
                    + describe(plan)
                    + "\nPersist each site's part in a cell tagged with that site, "
                    "or compute() the combination."
                )
            site = plan.site
        if site is None:
            import dask

            return list(dask.persist(*collections, scheduler="threads", optimize_graph=optimize_graph))
        client = self._client(site)
        started = time.perf_counter()
        results = client.persist(list(collections), optimize_graph=optimize_graph, **kwargs)
        for result in results:  # later computations on them go where they are kept
            self.locations.record(result, site, f"persisted at {site}")
        elapsed = time.perf_counter() - started
        self.record.add(site, elapsed, 0)
        self.record.wall_seconds += elapsed
        return results

    # -- where the work goes ---------------------------------------------------------

    def _run_here(self, expr, keys, kwargs):
        """No site data: what dask would have done without Dask Sites."""
        try:
            from distributed import default_client

            own = default_client()  # a Client the user made themselves
        except (ImportError, ValueError):
            own = None
        started = time.perf_counter()
        if own is not None:
            results = own.get(expr, keys, **kwargs)
        else:
            import dask.threaded

            results = dask.threaded.get(expr, keys, **kwargs)
        self.record.add("local", time.perf_counter() - started, 0)
        return results

    def _run_at(self, site: str, expr, keys, kwargs, plan: Plan | None = None):
        client = self._client(site, plan)
        started = time.perf_counter()
        results = client.get(expr, keys, **kwargs)
        self.record.add(site, time.perf_counter() - started, _sizeof(results))
        return results

    def _run_split(self, graph, keys: list, plan: Plan):
        from dask._task_spec import DataNode, convert_legacy_graph

        tasks = convert_legacy_graph(graph.to_dict())
        needed = _keys_needed_here(tasks, graph, plan, keys)
        limit = move_limit()
        estimate = _estimate_needed(graph, plan, needed)
        if estimate is not None and estimate > limit:
            raise self._refusal(plan, limit, estimate, "would move")
        clients = {part.site: self._client(part.site, plan) for part in plan.parts if needed[part.site]}
        # Site-free work that two sites need (shared constants, random draws) runs
        # once, here, so both sites see the same values.
        shared = _shared_keys({site: _cull(tasks, needed[site]) for site in clients})
        if shared:
            import dask.threaded

            for key, value in zip(shared, dask.threaded.get(_cull(tasks, shared), shared)):
                tasks[key] = DataNode(key, value)

        started = time.perf_counter()
        futures: dict[str, list] = {}
        try:
            for site, client in clients.items():
                futures[site] = client.get(_cull(tasks, needed[site]), list(needed[site]), sync=False)
            seconds = {}
            for site, site_futures in futures.items():
                _wait_for(clients[site], site_futures)
                seconds[site] = time.perf_counter() - started
            measured = sum(_nbytes(clients[site], futures[site]) for site in futures)
            if measured > limit:
                raise self._refusal(plan, limit, measured, "computed, and would move")
            for site, site_futures in futures.items():
                values = clients[site].gather(site_futures)
                self.record.add(site, seconds[site], _sizeof(values))
                for key, value in zip(needed[site], values):
                    tasks[key] = DataNode(key, value)
        except BaseException:
            for site, site_futures in futures.items():  # nothing stays computing or held
                try:
                    clients[site].cancel(site_futures)
                except Exception:
                    pass
            raise
        finally:
            futures.clear()

        import dask.threaded

        started = time.perf_counter()
        results = dask.threaded.get(_cull(tasks, set(keys)), keys)
        self.record.add("local", time.perf_counter() - started, 0)
        return results

    # -- helpers --------------------------------------------------------------------------

    def _client(self, site: str, plan: Plan | None = None):
        try:
            return self.client_for(site)
        except SiteError as err:
            if plan is None or self.route.site:
                raise
            where = ", ".join(f"{short_name(layer)} ({why})" for layer, (s, why) in plan.inputs.items() if s == site)
            raise SiteError(
                f"This computation reads data at {site}: {where}.\n{err}\n"
                f"(Or tag the cell with another site to bring the data there.)"
            ) from None

    def _warn_if_crossing(self, inputs: dict) -> None:
        elsewhere: dict[str, list[str]] = {}
        for layer, (site, why) in inputs.items():
            if site != self.route.site:
                elsewhere.setdefault(site, []).append(why)
        for site, reasons in elsewhere.items():
            if site in self._warned:
                continue
            self._warned.add(site)
            message = (
                f"This cell runs at {self.route.site} ({self.route.source}), but it reads data "
                f"that lives at {site} ({reasons[0]}): that data crosses from {site} to "
                f"{self.route.site}. Untag the cell to let each site reduce its own data."
            )
            self.record.warnings.append(message)
            warnings.warn(DataWouldCrossSites(message), stacklevel=2)

    def _refusal(self, plan: Plan, limit: int, amount: int, verb: str) -> MoveRefused:
        return MoveRefused(
            f"Not run: this split {verb} {format_bytes(amount)} from the sites to this kernel, more than the "
            f"limit of {format_bytes(limit)}.\n{describe(plan, limit)}\n"
            "Reduce each site's data further before combining (e.g. a mean or coarsen), "
            "or raise the limit: dask.config.set({'dask-sites.move-limit': '1 GB'})."
        )


def plan_collections(collections: Iterable, locations: DataLocations) -> Plan:
    """The plan for ``dask.compute(*collections)`` or ``persist`` from an untagged cell."""
    from dask.core import flatten
    from dask.highlevelgraph import HighLevelGraph

    pairs = [(c, g) for c in collections if (g := graph_of(c)) is not None]
    if not pairs:
        return Plan("none", ())
    keys = [k for c, _ in pairs for k in flatten(c.__dask_keys__())]
    graph = _layers_needed(HighLevelGraph.merge(*(g for _, g in pairs)), keys)
    return plan_graph(graph, keys, locations.inputs_of(graph))


def _layers_needed(graph, keys: list):
    """The layers the requested keys read (names kept: they say where data lives)."""
    from dask.core import flatten
    from dask.highlevelgraph import HighLevelGraph

    keys = list(flatten(keys))
    holding = layers_holding(graph, keys)
    if not holding or len(holding) < len(set(keys)):
        return graph  # keys we cannot place: plan on the whole graph
    kept = graph.cull_layers(set(holding.values())).layers
    # In the graph's own order, so sites are listed (and records kept) as they appear.
    return HighLevelGraph({n: graph.layers[n] for n in graph.layers if n in kept},
                          {n: graph.dependencies[n] for n in graph.layers if n in kept})


def _estimate_needed(graph, plan: Plan, needed: dict[str, set]) -> int | None:
    """Bytes the needed cut keys will take, from the array metadata of their layers."""
    from .planner import estimated_bytes

    total = 0
    for part in plan.parts:
        for layer in part.cut_layers:
            keys = [k for k in graph.layers[layer].keys() if k in needed[part.site]]
            size = estimated_bytes(graph.layers[layer], keys)
            if size is None:
                return None
            total += size
    return total


def _keys_needed_here(tasks: dict, graph, plan: Plan, keys: list) -> dict[str, set]:
    """Per site, the cut keys that the combining tasks (or the caller) read.

    Only tasks the requested keys depend on count: a layer mixing sites may
    need just one site's chunks (``da.stack([a, b])[0]``)."""
    cut = {key: part.site for part in plan.parts for key in part.keys}
    local_keys = {k for name in plan.local_layers for k in graph.layers[name].keys()}
    wanted: set = set(keys)
    for key in _cull(tasks, keys):
        if key in local_keys:
            wanted |= set(getattr(tasks[key], "dependencies", ()) or ())
    needed: dict[str, set] = {part.site: set() for part in plan.parts}
    for key in wanted:
        if key in cut:
            needed[cut[key]].add(key)
    return needed


def _shared_keys(subgraphs: dict[str, dict]) -> list:
    seen: dict = {}
    for graph in subgraphs.values():
        for key in graph:
            seen[key] = seen.get(key, 0) + 1
    return [key for key, count in seen.items() if count > 1]


def _wait_for(client, futures) -> None:
    """Wait on this client's own loop (``distributed.wait`` would need a current client)."""
    from distributed.client import _wait

    client.sync(_wait, futures)


def _cull(tasks: dict, keys: Iterable[Hashable]) -> dict:
    """The tasks ``keys`` need, and nothing else."""
    result, pending = {}, list(keys)
    while pending:
        key = pending.pop()
        if key in result or key not in tasks:
            continue
        task = tasks[key]
        result[key] = task
        pending.extend(getattr(task, "dependencies", ()) or ())
    return result


def _nbytes(client, futures) -> int:
    sizes = client.nbytes(keys=[f.key for f in futures], summary=False)
    return int(sum(sizes.values()))


def _sizeof(value) -> int:
    from dask.sizeof import sizeof

    try:
        return int(sizeof(value))
    except Exception:
        return 0
