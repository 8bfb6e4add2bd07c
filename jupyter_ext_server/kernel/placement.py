"""Where the part of a split graph that mixes sites runs, and what crosses to get there.

Pure functions; no clients. Each site first computes its own part (the cut
keys of ``planner.py``). The mixing part then runs either here, in the
kernel (every site's part comes here), or at one of the sites (the other
sites' parts come here and go on to it, and only the result comes back):
sites cannot reach each other, so every transfer is a *hop* through the
kernel. The placement with the fewest bytes over all hops wins; running
at a site must save at least ``PLACEMENT_MARGIN`` over running here, since
it costs a round trip more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Where the kernel is, in hops and records.
HERE = "here"

#: A site runs the mix only if that moves at least this much less than running it here.
PLACEMENT_MARGIN = 1_000_000


@dataclass(frozen=True)
class PartSize:
    """What one site computes, in bytes (None: not known before it runs)."""

    #: What the mixing part reads.
    for_mix: int | None
    #: What the caller asked for directly (it comes here wherever the mix runs).
    for_caller: int | None = 0


@dataclass(frozen=True)
class Hop:
    """One transfer: ``source`` and ``target`` are a site or ``HERE``."""

    source: str
    target: str
    bytes: int | None  # None: not known before running

    def as_dict(self) -> dict:
        return {"from": self.source, "to": self.target, "bytes": self.bytes}


@dataclass(frozen=True)
class Placement:
    """``where`` runs the mixing part (a site, or ``HERE``); ``hops`` are what moves."""

    where: str
    hops: tuple[Hop, ...]

    @property
    def total(self) -> int | None:
        return total_of(self.hops)

    @property
    def at_site(self) -> bool:
        return self.where != HERE


def total_of(hops: Iterable[Hop]) -> int | None:
    """All bytes of ``hops``; None if any is unknown."""
    total = 0
    for hop in hops:
        if hop.bytes is None:
            return None
        total += hop.bytes
    return total


def _plus(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def hops_for(where: str, parts: Mapping[str, PartSize], result: int | None) -> tuple[Hop, ...]:
    """The hops of running the mix at ``where``; ``result`` is what the mix returns."""
    if where == HERE:
        return tuple(
            Hop(site, HERE, _plus(part.for_mix, part.for_caller)) for site, part in parts.items()
        )
    hops = []
    for site, part in parts.items():
        if site != where:
            hops.append(Hop(site, HERE, _plus(part.for_mix, part.for_caller)))
            hops.append(Hop(HERE, where, part.for_mix))
    hops.append(Hop(where, HERE, _plus(result, parts[where].for_caller)))
    return tuple(hops)


def choose_placement(
    parts: Mapping[str, PartSize],
    result: int | None,
    margin: int = PLACEMENT_MARGIN,
) -> Placement:
    """The placement that moves the fewest bytes.

    Unknown parts leave the mix here, where nothing has to be guessed. An
    unknown ``result`` is taken at its worst, as big as the part it is
    made from (mixing rarely grows data): the mix then goes to a site only
    if that risks at most ``margin`` more than running it here, since the
    result usually comes out much smaller (it is measured before it moves).
    """
    here = Placement(HERE, hops_for(HERE, parts, result))
    if here.total is None:
        return here
    candidates = [
        Placement(site, hops_for(site, parts, result if result is not None else part.for_mix))
        for site, part in parts.items()
    ]
    best = min(candidates, key=lambda p: p.total or 0, default=None)
    if best is None or best.total is None:
        return here
    if result is None:
        # Worth the risk only where a big part stays at its site.
        if best.total > here.total + margin or (parts[best.where].for_mix or 0) <= margin:
            return here
        # The result's size stays unknown (not a guess) until it is measured.
        return Placement(best.where, hops_for(best.where, parts, None))
    return best if best.total + margin <= here.total else here
