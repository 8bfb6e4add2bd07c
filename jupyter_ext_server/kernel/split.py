"""Running a split plan: each site computes its own part, the mix runs where it moves least.

``SplitRun`` holds one split computation and offers its steps in the order
the scheduler takes them (``SiteScheduler._run_split``):

1. which cut keys the mixing tasks (or the caller) read (``needed``), and
   the placement their estimated sizes suggest (``estimated_placement``);
2. site-free work that two sites need runs once, here (``run_shared_work_here``);
3. every site starts its part at once (``start``) and is waited for (``wait``);
4. the parts' real sizes on the clusters decide where the mix runs
   (``placement``, see ``placement.py``), checked against the move limit
   before anything moves;
5. here: the parts are fetched (``fetch``) and the mix runs here
   (``combine_here``); at a site: the other sites' parts are fetched and sent
   on to it (``send_to``), the mix runs there (``start_mix``), and only its
   result comes back (``fetch_mix``).

If anything fails or is interrupted in 3–5, ``cancel`` releases what the
sites still compute or hold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import dask
from dask.utils import parse_bytes

from .compat import (
    DataNode,
    cancel_reason,
    fuse_chains,
    layers_for,
    run_here,
    tasks_of,
    wait_on,
)
from .describe import describe
from .errors import MoveRefused, SiteError
from .placement import HERE, PLACEMENT_MARGIN, PartSize, Placement, choose_placement
from .planner import Plan, estimated_bytes, layers_holding
from .record import bytes_of
from .site_errors import site_failure
from .units import format_bytes

DEFAULT_MOVE_LIMIT = "256 MB"

#: A part's futures in these states end the split (the scheduler's reasons are on
#: them). Not "lost": the scheduler recomputes lost data, and the future finishes.
FAILED = ("error", "cancelled")
#: How often a split looks at its sites' parts: soon at first, then every 0.2 s.
WAIT_FIRST_PAUSE = 0.005
WAIT_MAX_PAUSE = 0.2

#: The layer ``dask.compute`` adds to join an array's chunks into one result.
FINALIZE = "finalize-"


def move_limit() -> int:
    """``dask.config`` key ``dask-sites.move-limit`` (bytes or "256 MB")."""
    return _bytes_setting("dask-sites.move-limit", DEFAULT_MOVE_LIMIT)


def placement_margin() -> int:
    """``dask-sites.placement-margin``: how much less a site must move than here
    to run the mix (default 1 MB; see ``placement.py``). With
    ``dask-sites.placement: here`` the mix always runs here (the plan before
    placement existed; for comparisons)."""
    mode = dask.config.get("dask-sites.placement", "auto")
    if mode == "here":
        return 2**62  # no site can save that much
    if mode != "auto":
        raise SiteError(
            f"dask-sites.placement is {mode!r}; it takes 'auto' (the mix runs where it "
            "moves least) or 'here' (the mix always runs in this kernel)"
        )
    return _bytes_setting("dask-sites.placement-margin", PLACEMENT_MARGIN)


def _bytes_setting(key: str, default: int | str) -> int:
    value = dask.config.get(key, default)
    return int(parse_bytes(value) if isinstance(value, str) else value)


def refusal(
    plan: Plan,
    placement: Placement,
    limit: int,
    verb: str,
    parts: Mapping[str, tuple[int, int | None]] | None = None,
) -> MoveRefused:
    """Why a split stops before moving more than ``limit``, and what would make it cheap."""
    return MoveRefused(
        f"Not run: this split {verb} {format_bytes(placement.total)} between the sites and this "
        f"kernel, more than the limit of {format_bytes(limit)}.\n"
        f"{describe(plan, limit, placement, parts)}\n"
        f"{cheaper_hint(plan, placement)} Or raise the limit: "
        "dask.config.set({'dask-sites.move-limit': '1 GB'})."
    )


def cheaper_hint(plan: Plan, placement: Placement) -> str:
    """Name the data that would have to move, and how to make it small first."""
    moving: dict[str, int] = {}
    for hop in placement.hops:
        if hop.source != HERE and hop.source != placement.where and hop.bytes:
            moving[hop.source] = moving.get(hop.source, 0) + hop.bytes
    if not moving:
        return "Reduce the data before combining it (e.g. a mean or coarsen)."
    # At a site, the others' parts are what crosses: the biggest is the one to
    # shrink. Here, everything crosses: shrinking the smallest part lets the
    # mix go to the bigger one.
    pick = min if placement.where == HERE else max
    site = pick(moving, key=lambda s: moving[s])
    inputs = [why for _, (s, why) in plan.inputs.items() if s == site]
    what = f"{site}'s data ({inputs[0]})" if inputs else f"{site}'s data"
    return (
        f"Reduce or coarsen {what} at its site before combining it (e.g. .mean(...) or "
        f".coarsen(...)), so that less than {format_bytes(moving[site])} has to cross."
    )


class SplitRun:
    def __init__(self, graph, keys: list, plan: Plan):
        self.graph = graph
        self.keys = keys
        self.plan = plan
        self.tasks = tasks_of(graph)
        #: Per site, the cut keys the mixing tasks read, and those the caller asked for.
        self.for_mix, self.for_caller = keys_needed_here(self.tasks, graph, plan, keys)
        self._clients: dict[str, Any] = {}  # site: distributed.Client
        self._futures: dict[str, list] = {}
        #: At the site running the mix: the parts sent there, and the mix's own futures.
        self._sent: list = []
        self._mix: list = []
        self._started = 0.0
        #: Some tasks were replaced by values computed here (shared work).
        self._replaced = False

    @property
    def sites(self) -> list[str]:
        """The sites with work to do, in the plan's order."""
        return [part.site for part in self.plan.parts if self.needed(part.site)]

    def needed(self, site: str) -> list:
        """All cut keys of ``site`` that are computed: for the mix, then for the caller."""
        return list(dict.fromkeys([*self.for_mix[site], *self.for_caller[site]]))

    @property
    def mixed_result_keys(self) -> list:
        """The requested keys the mix computes (the others are cut keys)."""
        cut = {key for site in self.for_mix for key in self.needed(site)}
        return [key for key in self.keys if key not in cut]

    # -- sizes and placement -----------------------------------------------------

    def estimated_sizes(self) -> dict[str, PartSize]:
        """Each site's part, sized from the array metadata of its layers."""
        return {
            site: PartSize(
                self._estimate(self.for_mix[site]), self._estimate(self._only_caller(site))
            )
            for site in self.sites
        }

    def estimated_result(self) -> int | None:
        """What the mix returns, from the metadata of the requested keys' layers."""
        return self._estimate(self.mixed_result_keys) if self.mixed_result_keys else 0

    def described_parts(self, sizes: Mapping[str, PartSize]) -> dict[str, tuple[int, int | None]]:
        """Per site, the chunks it computes and their bytes, for ``describe``."""
        return {
            site: (len(self.needed(site)), _sum(size.for_mix, size.for_caller))
            for site, size in sizes.items()
        }

    def estimated_placement(self) -> Placement:
        return choose_placement(self.estimated_sizes(), self.estimated_result(), placement_margin())

    def _only_caller(self, site: str) -> list:
        """The caller's cut keys the mix does not read as well."""
        for_mix = set(self.for_mix[site])
        return [key for key in self.for_caller[site] if key not in for_mix]

    def measured_sizes(self) -> dict[str, PartSize]:
        """What the computed parts weigh on the clusters, before any of it moves."""
        sizes = {}
        for site in self._futures:
            measured = self._nbytes(site, self._futures[site])
            sizes[site] = PartSize(
                sum(measured[key] for key in self.for_mix[site]),
                sum(measured[key] for key in self._only_caller(site)),
            )
        return sizes

    def placement(self) -> Placement:
        """Where the mix runs, from the measured parts (the result as estimated)."""
        return choose_placement(self.measured_sizes(), self.estimated_result(), placement_margin())

    # -- running -------------------------------------------------------------------

    def run_shared_work_here(self, sites: Iterable[str]) -> None:
        """Site-free work that two sites need (shared constants, random draws)
        runs once, here, so both sites see the same values."""
        shared = shared_keys({site: cull(self.tasks, self.needed(site)) for site in sites})
        if shared:
            for key, value in zip(shared, run_here(cull(self.tasks, shared), shared)):
                self.tasks[key] = DataNode(key, value)
            self._replaced = True

    def start(self, clients: dict[str, Any]) -> None:
        """Every site starts computing its part; nothing is waited for yet."""
        self._clients = clients
        self._started = time.perf_counter()
        for site, client in clients.items():
            needed = self.needed(site)
            # As layers, which the site expands itself; once shared work was
            # replaced by its values here, as tasks with their chains fused
            # (the cut keys keep their names either way).
            part = (
                fuse_chains(cull(self.tasks, needed), needed)
                if self._replaced
                else layers_for(self.graph, needed)
            )
            self._futures[site] = client.get(part, needed, sync=False)

    def part_keys(self, site: str) -> list:
        """The keys of ``site``'s part, once started (for its progress)."""
        return [future.key for future in self._futures.get(site, ())]

    def client_of(self, site: str) -> Any:
        return self._clients[site]

    def mix_keys(self) -> list:
        """The keys of the mix running at a site, once started."""
        return [future.key for future in self._mix]

    def wait(self, on_done: Callable[[str], None] | None = None) -> dict[str, float]:
        """Seconds until each site's part was done (they run at the same time);
        ``on_done(site)`` is called as each one is.

        All sites are watched at once: the first site whose part fails (its
        scheduler lost, an error in the work, a cancel) ends the
        wait at once with an error naming it; the caller then cancels the
        other sites' parts (``cancel``)."""
        seconds: dict[str, float] = {}
        pending = dict(self._futures)
        pause = WAIT_FIRST_PAUSE
        while pending:
            for site, futures in list(pending.items()):
                failed = next((f for f in futures if f.status in FAILED), None)
                if failed is not None:
                    raise self._failure(site, failed)
                if all(f.status == "finished" for f in futures):
                    seconds[site] = time.perf_counter() - self._started
                    del pending[site]
                    if on_done is not None:
                        on_done(site)
            if pending:
                time.sleep(pause)  # an interrupt lands here: the caller cancels
                pause = min(pause * 2, WAIT_MAX_PAUSE)
        return seconds

    def _failure(self, site: str, failed) -> BaseException:
        """Why ``site``'s part failed, naming the site and what to do."""
        others = [other for other in self._futures if other != site]
        cancelled = (
            f" The other sites' parts ({', '.join(others)}) are cancelled." if others else ""
        )
        if failed.status == "error":
            # The user's own code failed at the site: their error, with its traceback;
            # work the site could not load (a module only this kernel has): said short.
            try:
                failed.result()
            except BaseException as err:
                if hasattr(err, "add_note"):
                    err.add_note(
                        f"(raised at site {site}, in its part of a split computation.{cancelled})"
                    )
                explained = site_failure(err, site, self.client_of(site))
                if explained is not err and cancelled:
                    return SiteError(f"{explained}{cancelled}")
                return explained
        reason = cancel_reason(failed) or failed.status
        if reason == "scheduler-connection-lost":
            what = (
                f"the connection to its cluster's scheduler was lost (the scheduler stopped, "
                f"or the network to {site} is down)"
            )
            fix = (
                f"Look at {site}'s cluster in the Dask Sites panel; if it stopped, start a new "
                "one (or let kernels create one), then run the cell again."
            )
        else:
            what = f"its part was cancelled at the site ({reason})"
            fix = "Run the cell again."
        return SiteError(f"{site}: this split computation failed there: {what}.{cancelled}\n{fix}")

    def fetch(self, sites: Iterable[str] | None = None) -> Iterable[tuple[str, int]]:
        """Bring sites' parts here; yields ``(site, bytes brought back)``."""
        for site in self._futures if sites is None else sites:
            futures = self._futures[site]
            values = self._clients[site].gather(futures)
            for key, value in zip(self.needed(site), values):
                self.tasks[key] = DataNode(key, value)
            yield site, bytes_of(values)

    def combine_here(self) -> list:
        """The mixing layers, here, on the sites' parts."""
        return run_here(cull(self.tasks, set(self.keys)), self.keys)

    def send_to(self, target: str) -> int:
        """The other sites' parts, fetched already, on to ``target``'s cluster
        under their own keys; returns the bytes sent."""
        values = {}
        for site in self._futures:
            if site != target:
                for key in self.for_mix[site]:
                    values[key] = self.tasks[key].value
        if values:
            self._sent = list(self._clients[target].scatter(values).values())
        return bytes_of(list(values.values()))

    def start_mix(self, target: str) -> None:
        """The mixing layers at ``target``, reading its part where it is and
        the other parts sent there."""
        keys = self.mixed_result_keys
        cut = {key for site in self.for_mix for key in self.needed(site)}
        mix = cull(self.tasks, keys, stop_at=cut)
        self._mix = self._clients[target].get(mix, keys, sync=False)

    def wait_mix(self, target: str) -> int:
        """Wait for the mix; returns what its result weighs on the cluster."""
        wait_on(self._clients[target], self._mix)
        return sum(self._nbytes(target, self._mix).values())

    def fetch_mix(self, target: str) -> tuple[list, int]:
        """The requested keys, and the bytes of those that came from ``target``:
        the mix's result, and ``target``'s own cut keys the caller asked for
        (the other sites' came here with their parts)."""
        values = dict(zip(self.mixed_result_keys, self._clients[target].gather(self._mix)))
        own = [key for key in self.for_caller[target]]
        if own:
            by_key = dict(zip(self.needed(target), self._futures[target]))
            values.update(zip(own, self._clients[target].gather([by_key[k] for k in own])))
        brought = bytes_of(list(values.values()))
        for key in self.keys:
            if key not in values:  # another site's, fetched with its part
                values[key] = self.tasks[key].value
        return [values[key] for key in self.keys], brought

    def cancel(self) -> None:
        """Nothing stays computing or held at the sites (best effort)."""
        for site, futures in self._futures.items():
            try:
                self._clients[site].cancel(futures)
            except Exception:
                pass
        for future in [*self._sent, *self._mix]:
            try:
                future.cancel()
            except Exception:
                pass

    def forget_futures(self) -> None:
        self._futures.clear()
        self._sent, self._mix = [], []

    # -- helpers ---------------------------------------------------------------------

    def _nbytes(self, site: str, futures: list) -> dict:
        sizes = self._clients[site].nbytes(keys=[f.key for f in futures], summary=False)
        return {key: int(sizes.get(key, 0)) for key in (f.key for f in futures)}

    def _estimate(self, keys: list) -> int | None:
        if not keys:
            return 0
        grouped = _by_layer(self.graph, keys)
        if None in grouped:  # keys we cannot place in a layer: their size is unknown
            return None
        total = 0
        for layer, layer_keys in grouped.items():
            size = estimated_bytes(self.graph.layers[layer], layer_keys)
            if size is None and str(layer).startswith(FINALIZE):
                # dask.compute's last step only joins the chunks it reads.
                size = self._estimate(_dependencies(self.tasks, layer_keys))
            if size is None:
                return None
            total += size
        return total


def measure_parts(
    split: SplitRun, clients: dict[str, Any]
) -> tuple[Placement, dict[str, PartSize], float]:
    """Compute each site's part to learn its size, then let it go: for
    ``explain``, when an estimate is unknown. Returns the placement on the
    measured sizes, the sizes, and the seconds it took."""
    started = time.perf_counter()
    clients = {site: clients[site] for site in split.sites}
    split.run_shared_work_here(clients)
    try:
        split.start(clients)
        split.wait()
        sizes = split.measured_sizes()
        placement = choose_placement(sizes, split.estimated_result(), placement_margin())
        return placement, sizes, time.perf_counter() - started
    finally:
        split.cancel()
        split.forget_futures()


def _sum(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _dependencies(tasks: dict, keys: list) -> list:
    found: dict = {}
    for key in keys:
        found.update(dict.fromkeys(getattr(tasks.get(key), "dependencies", ()) or ()))
    return list(found)


def _by_layer(graph, keys: list) -> dict:
    """``{layer: its keys}``; keys in no layer under ``None``."""
    holding = layers_holding(graph, keys)
    grouped: dict = {}
    for key in keys:
        grouped.setdefault(holding.get(key), []).append(key)
    return grouped


def keys_needed_here(tasks: dict, graph, plan: Plan, keys: list) -> tuple[dict, dict]:
    """Per site, the cut keys the mixing tasks read, and the cut keys the caller asked for.

    Only tasks the requested keys depend on count: a layer mixing sites may
    need just one site's chunks (``da.stack([a, b])[0]``)."""
    cut = {key: part.site for part in plan.parts for key in part.keys}
    local_keys = {k for name in plan.local_layers for k in graph.layers[name]}
    for_mix: dict[str, list] = {part.site: [] for part in plan.parts}
    for_caller: dict[str, list] = {part.site: [] for part in plan.parts}
    read: set = set()
    for key in cull(tasks, keys, stop_at=set(cut)):
        if key in local_keys:
            read |= set(getattr(tasks[key], "dependencies", ()) or ())
    for key in read:
        if key in cut:
            for_mix[cut[key]].append(key)
    for key in keys:
        if key in cut:
            for_caller[cut[key]].append(key)
    return for_mix, for_caller


def shared_keys(subgraphs: dict[str, dict]) -> list:
    """Keys that more than one site's part would compute."""
    seen: dict = {}
    for graph in subgraphs.values():
        for key in graph:
            seen[key] = seen.get(key, 0) + 1
    return [key for key, count in seen.items() if count > 1]


def cull(tasks: dict, keys: Iterable[Hashable], stop_at: set | None = None) -> dict:
    """The tasks ``keys`` need, and nothing else; keys in ``stop_at`` are
    taken as given (their tasks and what they read are left out)."""
    result, pending = {}, list(keys)
    while pending:
        key = pending.pop()
        if key in result or key not in tasks or (stop_at and key in stop_at):
            continue
        task = tasks[key]
        result[key] = task
        pending.extend(getattr(task, "dependencies", ()) or ())
    return result
