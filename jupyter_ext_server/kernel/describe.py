"""A plan in words, for ``explain``, refusals and errors.

Inputs are named by what the user opened (``tp from s3://lumi-era5/...``),
steps by dask's operation names without their tokens (``astype``,
``mean_chunk``), places by site name or "this kernel", sizes in the one
unit system of ``units.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .placement import HERE, Hop, Placement
from .planner import Plan
from .units import format_bytes

#: A layer name's token: ``-`` and 16 or more hex digits (dask's ``tokenize``).
_TOKEN = re.compile(r"-[0-9a-f]{16,}$")


def step_name(layer) -> str:
    """``mean_chunk-3f2a…`` → ``mean_chunk``; tuple names use their first part."""
    name = layer[0] if isinstance(layer, tuple) else layer
    # A dataframe node split by site is a layer per site: ``chunk-3f2a…@central``.
    return _TOKEN.sub("", str(name).split("@")[0])


def steps(layers) -> str:
    """Step names, each once, in order: ``astype, sub, mean_chunk`` (without
    the step ``dask.compute`` adds to join the result's chunks)."""
    names = (step_name(layer) for layer in layers)
    return ", ".join(dict.fromkeys(n for n in names if not n.startswith("finalize-"))) or "nothing"


def place(end: str) -> str:
    return "this kernel" if end == HERE else end


def hop_size(hop: Hop) -> str:
    """A hop's size; one not known in advance is measured where it is, before it moves."""
    if hop.bytes is not None:
        return format_bytes(hop.bytes)
    where = "this kernel" if hop.source == HERE else hop.source
    return f"measured at {where} before it moves"


def describe(
    plan: Plan,
    limit: int | None = None,
    placement: Placement | None = None,
    parts: Mapping[str, tuple[int, int | None]] | None = None,
) -> str:
    """The plan in words: inputs, what runs where, and every hop with its size.

    ``parts`` (per site: chunks and bytes of what is needed, measured or
    estimated) overrides the plan's estimate of each site's whole cut."""
    if plan.kind == "none":
        return "No input of this graph lives at a known site: it runs where the cell runs."
    lines = ["Inputs:"]
    for site, why in dict.fromkeys((site, why) for site, why in plan.inputs.values()):
        lines.append(f"  {why}: at {site}")
    if plan.kind == "single":
        lines.append(f"Plan: the whole graph runs at {plan.site}; only the result comes back.")
        return "\n".join(lines)
    where = placement.where if placement else HERE
    mix_at = "here, in this kernel" if where == HERE else f"at {where}, where most of its data is"
    lines.append(
        f"Plan: split across {len(plan.parts)} sites, each computing its own part at the same "
        f"time; the part that mixes them runs {mix_at}."
    )
    for part in plan.parts:
        stays = " and keeps it there" if part.site == where else ""
        chunks, size = (parts or {}).get(part.site, (len(part.keys), part.estimated_bytes))
        lines.append(
            f"  {part.site}: computes {steps(part.cut_layers)} ({chunks} chunk(s), "
            f"{format_bytes(size)}){stays}"
        )
    lines.append(f"  {place(where)}: runs {steps(plan.local_layers)}, the part that mixes sites")
    if placement is not None:
        lines.append("Moves:")
        lines.extend(
            f"  {place(hop.source)} → {place(hop.target)}: {hop_size(hop)}"
            for hop in placement.hops
        )
        if placement.total is not None:
            lines.append(f"  in all {format_bytes(placement.total)}")
        else:
            known = sum(hop.bytes for hop in placement.hops if hop.bytes is not None)
            lines.append(f"  in all {format_bytes(known)} and what is measured before it moves")
    if limit is not None:
        lines.append(f"Limit on what may move (dask-sites.move-limit): {format_bytes(limit)}")
    return "\n".join(lines)
