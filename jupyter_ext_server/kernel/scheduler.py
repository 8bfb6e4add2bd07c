"""The scheduler Dask uses during a cell: it sends each computation where its data lives.

Installed as ``dask.config["scheduler"]`` for the cell. Dask hands it every
``compute`` (``__call__``) and every ``persist`` (``persist``, the protocol
``dask.persist`` checks for). It decides per computation:

- the cell has a site (``%%site``, cell tag, notebook default): everything
  runs there; inputs living elsewhere give a ``DataWouldCrossSites`` warning;
- otherwise by data location: no site data runs here as before, one site's
  data runs at that site, several sites' data is split (``planner.py`` plans,
  ``split.py`` runs it). Dataframes are located by their readers and planned
  on their lowered expression (``frame_planner.py``), then run the same way.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Iterable

import dask
import dask.threaded
from dask.core import flatten
from dask.highlevelgraph import HighLevelGraph

from ..storage.site_rules import STS
from .compat import (
    graph_of_expr,
    has_materialised_tables,
    is_expression_collection,
    legacy_graphs_in,
    lowered_expr,
)
from .describe import describe
from .errors import DataWouldCrossSites, SiteError
from .frame_planner import plan_frame
from .locations import DataLocations, graph_of
from .placement import Placement, hops_for
from .planner import Plan, layers_needed, plan_graph, short_name
from .progress import CellProgress
from .record import CellRecord, bytes_of
from .routing import Route
from .site_errors import site_failure
from .split import SplitRun, move_limit, refusal


class SiteScheduler:
    def __init__(
        self,
        route: Route,
        client_for: Callable[[str], object],
        locations: DataLocations,
        record: CellRecord,
        progress: CellProgress | None = None,
    ):
        self.route = route
        self.client_for = client_for
        self.locations = locations
        self.record = record
        #: What the cell shows while its remote work runs (nothing without one).
        self.progress = progress or CellProgress(enabled=False)
        self._warned: set[str] = set()

    # -- dask.compute ------------------------------------------------------------

    def __call__(self, expr, keys: list, **kwargs):
        started = time.perf_counter()
        try:
            return self._compute(expr, keys, kwargs)
        finally:
            self.record.wall_seconds += time.perf_counter() - started

    def _compute(self, expr, keys: list, kwargs: dict):
        with self.record.phase("plan"):
            graph = graph_of_expr(expr)
            if graph is not None:
                graph = layers_needed(graph, keys)  # only what these keys read decides where
                inputs = self.locations.inputs_of(graph)
                if inputs and has_materialised_tables(graph):
                    self._refuse_mixed_kinds({}, inputs)
            else:  # an expression (dataframes): its table readers say where
                inputs = self.locations.frame_inputs(expr)
                arrays = legacy_graphs_in(expr)
                if arrays is not None and (array_inputs := self.locations.inputs_of(arrays)):
                    self._refuse_mixed_kinds(inputs, array_inputs)
                    inputs = {**inputs, **array_inputs}
        if self.route.site:
            self._warn_if_crossing(inputs)
            return self._run_at(self.route.site, expr, keys, kwargs)
        with self.record.phase("plan"):  # the phase adds up: one "plan" figure
            if not inputs:
                plan = Plan("none", ())
            elif graph is None:
                graph, plan = plan_frame(expr, keys, inputs)
            else:
                plan = plan_graph(graph, keys, inputs)
        if plan.kind == "none":
            return self._run_here(expr, keys, kwargs)
        self.record.source = "data location"
        if plan.kind == "single":
            assert plan.site is not None  # a single-site plan names its site
            return self._run_at(plan.site, expr, keys, kwargs, plan)
        return self._run_split(graph, keys, plan)

    def _refuse_mixed_kinds(self, frames: dict, arrays: dict) -> None:
        """Dataframes are planned by their readers, arrays by their layers: one
        computation of both runs only where all of them live."""
        sites = {site for site, _ in [*frames.values(), *arrays.values()]}
        if frames and len(sites) == 1:
            return
        raise SiteError(
            "This computation mixes dataframes with arrays of "
            + " and ".join(sorted(sites))
            + " in one dask.compute: Dask Sites routes and splits each kind on its own. "
            "Compute them in separate calls (each goes where its data lives), then combine "
            "the small results."
        )

    # -- dask.persist --------------------------------------------------------------

    def persist(self, collections, optimize_graph: bool = True, **kwargs):
        site = self.route.site
        if site is not None:
            collections = list(collections)
            self._warn_if_crossing(self._inputs_of_collections(collections))
        else:
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
            return list(
                dask.persist(*collections, scheduler="threads", optimize_graph=optimize_graph)
            )
        client = self._client(site)
        started = time.perf_counter()
        results = client.persist(list(collections), optimize_graph=optimize_graph, **kwargs)
        for result in results:  # later computations on them go where they are kept
            self.locations.record(result, site, f"persisted at {site}")
        elapsed = time.perf_counter() - started
        self.record.add(site, elapsed, 0)
        self.record.wall_seconds += elapsed
        return results

    def _inputs_of_collections(self, collections: list) -> dict:
        """Where the inputs of ``collections`` live (arrays' layers, dataframes' readers)."""
        inputs: dict = {}
        for collection in collections:
            if is_expression_collection(collection):
                inputs.update(self.locations.frame_inputs(lowered_expr([collection])))
            elif (graph := graph_of(collection)) is not None:
                inputs.update(self.locations.inputs_of(graph))
        return inputs

    # -- where the work goes ---------------------------------------------------------

    def _run_here(self, expr, keys, kwargs):
        """No site data: what dask would have done without Dask Sites."""
        own = _users_own_client()
        started = time.perf_counter()
        if own is not None:
            results = own.get(expr, keys, **kwargs)
        else:
            results = dask.threaded.get(expr, keys, **kwargs)
        self.record.add("local", time.perf_counter() - started, 0)
        return results

    def _run_at(self, site: str, expr, keys, kwargs, plan: Plan | None = None):
        client = self._client(site, plan)
        started = time.perf_counter()
        try:
            with (
                self.progress.step(site, site, client, flatten(keys)),
                self.record.phase("submit and run at a site"),
            ):
                results = client.get(expr, keys, **kwargs)
        except BaseException as err:
            failure = site_failure(err, site, client)
            if failure is err:
                raise
            raise failure from err  # shown short; the cause stays for %tb
        self.record.add(site, time.perf_counter() - started, bytes_of(results))
        return results

    def _run_split(self, graph, keys: list, plan: Plan):
        """Each site computes its own part at once; the mix runs where the
        fewest bytes have to cross (here, or at one of the sites)."""
        with self.record.phase("split: build parts"):
            split = SplitRun(graph, keys, plan)
            estimate = split.estimated_placement()
        limit = move_limit()
        if estimate.total is not None and estimate.total > limit:
            parts = split.described_parts(split.estimated_sizes())
            raise refusal(plan, estimate, limit, "would move", parts)
        clients = {site: self._client(site, plan) for site in split.sites}
        split.run_shared_work_here(clients)
        try:
            with self.record.phase("split: submit"):
                split.start(clients)
            steps = {
                site: self.progress.begin(site, site, clients[site], split.part_keys(site))
                for site in split.sites
            }
            try:
                with self.record.phase("split: sites' work"):
                    seconds = split.wait(on_done=lambda site: self.progress.end(steps[site]))
            finally:
                for step in steps.values():
                    self.progress.end(step, failed=step.ended is None)
            # The estimates can be wrong (or unknown): decide on what was computed.
            placement = split.placement()
            if placement.total is not None and placement.total > limit:
                parts = split.described_parts(split.measured_sizes())
                raise refusal(plan, placement, limit, "computed, and would move", parts)
            if placement.at_site:
                results, placement = self._mix_at(split, placement, seconds, limit)
            else:
                results = self._mix_here(split, seconds)
            self.record.hops.extend(placement.hops)
        except BaseException:
            split.cancel()
            raise
        finally:
            split.forget_futures()
        return results

    def _mix_here(self, split: SplitRun, seconds: dict[str, float]) -> list:
        with self.record.phase("split: bring parts here"):
            for site, brought_back in split.fetch():
                self.record.add(site, seconds[site], brought_back)
        started = time.perf_counter()
        with self.progress.step("combine here"), self.record.phase("split: combine here"):
            results = split.combine_here()
        self.record.add("local", time.perf_counter() - started, 0)
        return results

    def _mix_at(
        self, split: SplitRun, placement: Placement, seconds: dict[str, float], limit: int
    ) -> tuple[list, Placement]:
        """The other sites' parts go to ``placement.where`` through here; the mix
        runs there; only its result comes back. Returns the results and the
        placement with the result as measured."""
        target = placement.where
        others = [site for site in split.sites if site != target]
        for site, brought_back in split.fetch(others):
            self.record.add(site, seconds[site], brought_back)
        started = time.perf_counter()
        split.send_to(target)
        split.start_mix(target)
        with self.progress.step(
            f"mix at {target}", target, split.client_of(target), split.mix_keys()
        ):
            result_bytes = split.wait_mix(target)
        placement = measured(placement, split, result_bytes)
        if placement.total is not None and placement.total > limit:
            parts = split.described_parts(split.measured_sizes())
            raise refusal(split.plan, placement, limit, "computed, and would move", parts)
        results, brought_back = split.fetch_mix(target)
        self.record.add(target, seconds[target] + time.perf_counter() - started, brought_back)
        self.record.mixed_at = target
        return results, placement

    # -- helpers --------------------------------------------------------------------------

    def _client(self, site: str, plan: Plan | None = None):
        try:
            return self.client_for(site)
        except SiteError as err:
            if plan is None or self.route.site:
                raise
            where = ", ".join(
                f"{short_name(layer)} ({why})"
                for layer, (s, why) in plan.inputs.items()
                if s == site
            )
            raise SiteError(
                f"This computation reads data at {site}: {where}.\n{err}\n"
                f"(Or tag the cell with another site to bring the data there.)"
            ) from None

    def _warn_if_crossing(self, inputs: dict) -> None:
        elsewhere: dict[str, list[str]] = {}
        for site, why in inputs.values():
            if site != self.route.site:
                elsewhere.setdefault(site, []).append(why)
        for site, reasons in elsewhere.items():
            if self.locations.catalogue.credentials_of(site) == STS:
                # Its keys go to its own workers only (storage_access.py): refuse before running.
                raise SiteError(
                    f"This cell runs at {self.route.site} ({self.route.source}), but it reads "
                    f"data that lives at {site} ({reasons[0]}). {site}'s object store gives "
                    f"keys to {site}'s own workers only, so {self.route.site}'s workers cannot "
                    f"read it. Untag the cell to let each site reduce its own data, or run it "
                    f"at {site}."
                )
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


def graph_and_keys(collections: Iterable) -> tuple[HighLevelGraph | None, list]:
    """The layers ``dask.compute(*collections)`` would run, and the keys it asks for."""
    pairs = [(c, g) for c in collections if (g := graph_of(c)) is not None]
    if not pairs:
        return None, []
    keys = [k for c, _ in pairs for k in flatten(c.__dask_keys__())]
    return layers_needed(HighLevelGraph.merge(*(g for _, g in pairs)), keys), keys


def plan_collections(collections: Iterable, locations: DataLocations) -> Plan:
    """The plan for ``dask.compute(*collections)`` or ``persist`` from an untagged cell."""
    collections = list(collections)
    if any(is_expression_collection(c) for c in collections):
        return plan_frames(collections, locations)[2]
    graph, keys = graph_and_keys(collections)
    if graph is None:
        return Plan("none", ())
    return plan_graph(graph, keys, locations.inputs_of(graph))


def plan_frames(collections: list, locations: DataLocations):
    """``(graph, keys, plan)`` of ``dask.compute(*collections)`` for dataframes:
    their expression lowered as ``dask.compute`` does, then planned on its readers."""
    expr = lowered_expr(collections)
    keys = list(flatten(expr.__dask_keys__()))
    graph, plan = plan_frame(expr, keys, locations.frame_inputs(expr))
    return graph, keys, plan


def _users_own_client():
    """A ``distributed.Client`` the user made themselves, if any. Without
    ``distributed`` imported there is none (and it is not loaded to find out)."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    try:
        return distributed.default_client()
    except ValueError:
        return None


def measured(placement: Placement, split: SplitRun, result_bytes: int) -> Placement:
    """The placement with the mix's result as measured at its site."""
    return Placement(
        placement.where, hops_for(placement.where, split.measured_sizes(), result_bytes)
    )
