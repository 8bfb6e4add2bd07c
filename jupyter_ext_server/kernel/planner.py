"""Split a Dask graph whose inputs live on several sites.

Pure functions on a ``HighLevelGraph``; no clients, no network. The
scheduler (``scheduler.py``) runs what they plan.

Every layer gets the set of sites its inputs come from: a layer that reads
site data has that site, any other layer the union of the layers it reads.
A graph with one site runs there whole. With several, the *cut* is made at
the last single-site layers: those that feed a layer mixing sites, or that
hold a requested key. Each site computes its cut keys on its own cluster,
only those results move, and the mixing layers run here.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from dask.core import flatten
from dask.highlevelgraph import HighLevelGraph

Key = Hashable


@dataclass(frozen=True)
class SitePart:
    """What one site computes: the cut keys and an estimate of their size."""

    site: str
    #: The layers (names) whose keys this site sends back.
    cut_layers: tuple[str, ...]
    keys: tuple[Key, ...]
    #: Bytes the results will take when they move; None when unknown.
    estimated_bytes: int | None
    #: The input layers of this site (the data read there).
    input_layers: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """Where a graph's work goes. ``kind``: "none" (no site data), "single", "split"."""

    kind: str
    #: Sites of the inputs, in the order first seen.
    sites: tuple[str, ...]
    parts: tuple[SitePart, ...] = ()
    #: For "single": the site that runs everything.
    site: str | None = None
    #: Layers that run after the parts arrive (the mixing ones), for "split".
    local_layers: tuple[str, ...] = ()
    #: Per input layer: site and why we think it lives there.
    inputs: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def estimated_bytes(self) -> int | None:
        sizes = [p.estimated_bytes for p in self.parts]
        return None if any(s is None for s in sizes) else sum(sizes)  # type: ignore[arg-type]


def layer_sites(hlg, input_sites: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Each layer's sites: its own if it reads site data, else the union of its inputs'."""
    result: dict[str, frozenset[str]] = {}
    for name in _toposorted(hlg):
        own = {input_sites[name]} if name in input_sites else set()
        for dep in hlg.dependencies.get(name, ()):
            own |= result.get(dep, frozenset())
        result[name] = frozenset(own)
    return result


def plan_graph(hlg, keys: Iterable[Key], input_sites: Mapping[str, tuple[str, str]]) -> Plan:
    """The plan for computing ``keys`` of ``hlg``.

    ``input_sites`` maps input layers to ``(site, why)``."""
    keys = list(flatten(list(keys)))
    inputs = {name: where for name, where in input_sites.items() if name in hlg.layers}
    sites_in_order = tuple(dict.fromkeys(site for site, _ in inputs.values()))
    if not sites_in_order:
        return Plan("none", ())
    if len(sites_in_order) == 1:
        return Plan("single", sites_in_order, site=sites_in_order[0], inputs=inputs)

    sites = layer_sites(hlg, {name: site for name, (site, _) in inputs.items()})
    requested_layers = set(layers_holding(hlg, keys).values())
    dependents = _dependents(hlg)
    cut: dict[str, list[str]] = {}
    for name, its_sites in sites.items():
        if len(its_sites) != 1:
            continue
        feeds_mixed = any(len(sites[d]) > 1 for d in dependents.get(name, ()))
        if feeds_mixed or name in requested_layers:
            cut.setdefault(next(iter(its_sites)), []).append(name)

    parts = []
    for site in sites_in_order:
        cut_layers = tuple(cut.get(site, ()))
        part_keys = tuple(k for layer in cut_layers for k in _keys_of(hlg, layer))
        estimates = [
            estimated_bytes(hlg.layers[layer], _keys_of(hlg, layer)) for layer in cut_layers
        ]
        parts.append(
            SitePart(
                site=site,
                cut_layers=cut_layers,
                keys=part_keys,
                estimated_bytes=None if any(e is None for e in estimates) else sum(estimates),  # type: ignore[arg-type]
                input_layers=tuple(n for n, (s, _) in inputs.items() if s == site),
            )
        )
    local = tuple(name for name, its_sites in sites.items() if len(its_sites) > 1)
    return Plan("split", sites_in_order, parts=tuple(parts), local_layers=local, inputs=inputs)


def layers_needed(hlg, keys: list):
    """The layers the requested keys read (names kept: they say where data lives)."""
    keys = list(flatten(keys))
    holding = layers_holding(hlg, keys)
    if not holding or len(holding) < len(set(keys)):
        return hlg  # keys we cannot place: plan on the whole graph
    kept = hlg.cull_layers(set(holding.values())).layers
    # In the graph's own order, so sites are listed (and records kept) as they appear.
    return HighLevelGraph(
        {n: hlg.layers[n] for n in hlg.layers if n in kept},
        {n: hlg.dependencies[n] for n in hlg.layers if n in kept},
    )


# -- helpers -------------------------------------------------------------------


def short_name(layer) -> str:
    """``mean_chunk-3f2a…`` is enough for a person."""
    layer = str(layer)
    head, sep, token = layer.rpartition("-")
    if sep and len(token) >= 16 and all(c in "0123456789abcdef" for c in token):
        return f"{head}-{token[:6]}"
    return layer


def _toposorted(hlg) -> list[str]:
    order, seen = [], set()

    def visit(name: str) -> None:
        stack = [(name, iter(sorted(hlg.dependencies.get(name, ()), key=str)))]
        seen.add(name)
        while stack:
            node, deps = stack[-1]
            for dep in deps:
                if dep not in seen and dep in hlg.layers:
                    seen.add(dep)
                    stack.append((dep, iter(sorted(hlg.dependencies.get(dep, ()), key=str))))
                    break
            else:
                stack.pop()
                order.append(node)

    for name in hlg.layers:
        if name not in seen:
            visit(name)
    return order


def _dependents(hlg) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {name: set() for name in hlg.layers}
    for name, deps in hlg.dependencies.items():
        for dep in deps:
            result.setdefault(dep, set()).add(name)
    return result


def _keys_of(hlg, layer: str) -> list[Key]:
    return list(hlg.layers[layer].keys())


def key_name(key: Key):
    """The name part of a key: ``("mean-3f2a", 0, 1)`` → ``"mean-3f2a"``."""
    return key[0] if isinstance(key, tuple) else key


def layers_holding(hlg, keys: Iterable[Key]) -> dict:
    """``{key: layer name}`` for the keys found; outputs are usually last, so
    the search starts there. A key's name is tried first: looking into a
    Blockwise layer would build all of its tasks, so only materialised
    layers are looked into."""
    remaining, found = set(keys), {}
    for name, layer in reversed(hlg.layers.items()):
        hits = {k for k in remaining if key_name(k) == name}
        if not hits and layer.is_materialized():
            hits = {k for k in remaining if k in layer}
        found.update(dict.fromkeys(hits, name))
        remaining -= hits
        if not remaining:
            break
    return found


def estimated_bytes(layer, keys: list) -> int | None:
    """Size of these keys of a layer, from the array metadata dask keeps on it:
    each key ``(name, i, j, ...)`` is one chunk of ``chunks``."""
    info = getattr(layer, "collection_annotations", None) or {}
    chunks, dtype = info.get("chunks"), info.get("dtype")
    if chunks is None or dtype is None:
        return None
    itemsize = int(getattr(dtype, "itemsize", 8))
    total = 0
    try:
        for key in keys:
            index = key[1:] if isinstance(key, tuple) else ()
            sizes = [axis[i] for axis, i in zip(chunks, index)]
            if len(sizes) != len(chunks) or any(
                isinstance(n, float) and math.isnan(n) for n in sizes
            ):
                return None
            total += int(math.prod(sizes)) * itemsize
    except (TypeError, IndexError, ValueError):
        return None
    return total
