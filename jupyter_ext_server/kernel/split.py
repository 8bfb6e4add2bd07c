"""Running a split plan: each site computes its cut keys, the rest runs here.

``SplitRun`` holds one split computation and offers its steps in the order
the scheduler takes them (``SiteScheduler._run_split``):

1. which cut keys the combining tasks actually read (``needed``), and what
   the array metadata says they will weigh (``estimated_bytes``);
2. site-free work that two sites need runs once, here (``run_shared_work_here``);
3. every site starts its part at once (``start``) and is waited for (``wait``);
4. the results' real size on the clusters (``measured_bytes``) is checked
   before anything moves; then they are fetched (``fetch``);
5. the combining layers run here on the fetched values (``combine_here``).

If anything fails or is interrupted in 3–4, ``cancel`` releases what the
sites still compute or hold.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable
from typing import Any

import dask
from dask.utils import parse_bytes

from .compat import DataNode, run_here, tasks_of, wait_on
from .errors import MoveRefused
from .planner import Plan, describe, estimated_bytes, format_bytes
from .record import bytes_of

DEFAULT_MOVE_LIMIT = "256 MB"


def move_limit() -> int:
    """``dask.config`` key ``dask-sites.move-limit`` (bytes or "256 MB")."""
    value = dask.config.get("dask-sites.move-limit", DEFAULT_MOVE_LIMIT)
    return int(parse_bytes(value) if isinstance(value, str) else value)


def refusal(plan: Plan, limit: int, amount: int, verb: str) -> MoveRefused:
    """Why a split stops before moving ``amount`` bytes, and what to do instead."""
    return MoveRefused(
        f"Not run: this split {verb} {format_bytes(amount)} from the sites to this kernel, "
        f"more than the limit of {format_bytes(limit)}.\n{describe(plan, limit)}\n"
        "Reduce each site's data further before combining (e.g. a mean or coarsen), "
        "or raise the limit: dask.config.set({'dask-sites.move-limit': '1 GB'})."
    )


class SplitRun:
    def __init__(self, graph, keys: list, plan: Plan):
        self.graph = graph
        self.keys = keys
        self.plan = plan
        self.tasks = tasks_of(graph)
        #: Per site, the cut keys the combining tasks (or the caller) read.
        self.needed: dict[str, list] = keys_needed_here(self.tasks, graph, plan, keys)
        self._clients: dict[str, Any] = {}  # site: distributed.Client
        self._futures: dict[str, list] = {}
        self._started = 0.0

    @property
    def sites(self) -> list[str]:
        """The sites with work to do, in the plan's order."""
        return [part.site for part in self.plan.parts if self.needed[part.site]]

    def estimated_bytes(self) -> int | None:
        """Bytes the needed cut keys will take, from the array metadata of their layers."""
        total = 0
        for part in self.plan.parts:
            wanted = set(self.needed[part.site])
            for layer in part.cut_layers:
                keys = [k for k in self.graph.layers[layer] if k in wanted]
                size = estimated_bytes(self.graph.layers[layer], keys)
                if size is None:
                    return None
                total += size
        return total

    def run_shared_work_here(self, sites: Iterable[str]) -> None:
        """Site-free work that two sites need (shared constants, random draws)
        runs once, here, so both sites see the same values."""
        shared = shared_keys({site: cull(self.tasks, self.needed[site]) for site in sites})
        if shared:
            for key, value in zip(shared, run_here(cull(self.tasks, shared), shared)):
                self.tasks[key] = DataNode(key, value)

    def start(self, clients: dict[str, Any]) -> None:
        """Every site starts computing its part; nothing is waited for yet."""
        self._clients = clients
        self._started = time.perf_counter()
        for site, client in clients.items():
            needed = self.needed[site]
            self._futures[site] = client.get(cull(self.tasks, needed), needed, sync=False)

    def wait(self) -> dict[str, float]:
        """Seconds until each site's part was done (they ran at the same time)."""
        seconds = {}
        for site, futures in self._futures.items():
            wait_on(self._clients[site], futures)
            seconds[site] = time.perf_counter() - self._started
        return seconds

    def measured_bytes(self) -> int:
        """What the computed parts weigh on the clusters, before any of it moves."""
        total = 0
        for site, futures in self._futures.items():
            sizes = self._clients[site].nbytes(keys=[f.key for f in futures], summary=False)
            total += int(sum(sizes.values()))
        return total

    def fetch(self) -> Iterable[tuple[str, int]]:
        """Bring each site's results here; yields ``(site, bytes brought back)``."""
        for site, futures in self._futures.items():
            values = self._clients[site].gather(futures)
            for key, value in zip(self.needed[site], values):
                self.tasks[key] = DataNode(key, value)
            yield site, bytes_of(values)

    def cancel(self) -> None:
        """Nothing stays computing or held at the sites (best effort)."""
        for site, futures in self._futures.items():
            try:
                self._clients[site].cancel(futures)
            except Exception:
                pass

    def forget_futures(self) -> None:
        self._futures.clear()

    def combine_here(self) -> list:
        """The mixing layers, here, on the sites' results."""
        return run_here(cull(self.tasks, set(self.keys)), self.keys)


def keys_needed_here(tasks: dict, graph, plan: Plan, keys: list) -> dict[str, list]:
    """Per site, the cut keys that the combining tasks (or the caller) read.

    Only tasks the requested keys depend on count: a layer mixing sites may
    need just one site's chunks (``da.stack([a, b])[0]``)."""
    cut = {key: part.site for part in plan.parts for key in part.keys}
    local_keys = {k for name in plan.local_layers for k in graph.layers[name]}
    wanted: set = set(keys)
    for key in cull(tasks, keys):
        if key in local_keys:
            wanted |= set(getattr(tasks[key], "dependencies", ()) or ())
    needed: dict[str, set] = {part.site: set() for part in plan.parts}
    for key in wanted:
        if key in cut:
            needed[cut[key]].add(key)
    return {site: list(site_keys) for site, site_keys in needed.items()}


def shared_keys(subgraphs: dict[str, dict]) -> list:
    """Keys that more than one site's part would compute."""
    seen: dict = {}
    for graph in subgraphs.values():
        for key in graph:
            seen[key] = seen.get(key, 0) + 1
    return [key for key, count in seen.items() if count > 1]


def cull(tasks: dict, keys: Iterable[Hashable]) -> dict:
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
