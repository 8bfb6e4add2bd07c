"""What a routed cell did: which sites ran its work, how long, bytes brought back.

Shown under the cell as one line, and carried in the same output as
``application/vnd.dask-sites.record+json`` so the Lab UI can put it on the
cell's badge without parsing text.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from dask.sizeof import sizeof

from .placement import HERE, Hop
from .units import format_bytes

RECORD_MIMETYPE = "application/vnd.dask-sites.record+json"


def bytes_of(value) -> int:
    """What ``value`` weighs as it is brought back (dask's estimate; 0 when unknown)."""
    try:
        return int(sizeof(value))
    except Exception:
        return 0


@dataclass
class SiteRun:
    site: str  # a site name, or "local" for this kernel
    seconds: float
    bytes_back: int
    computations: int = 1


@dataclass
class CellRecord:
    route: str | None  # the site the cell was routed to (None: automatic/local)
    source: str  # why: "cell magic", "cell metadata", "notebook default", "data location", "local"
    runs: list[SiteRun] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Wall time of the cell's Dask work (sites of a split run at the same time).
    wall_seconds: float = 0.0
    #: What crossed between the sites and this kernel in split computations.
    hops: list[Hop] = field(default_factory=list)
    #: The site that ran the part mixing sites, when it was not this kernel.
    mixed_at: str | None = None
    #: Seconds per phase of the cell's routed work ("plan", "submit and run
    #: at a site", "split: build", ...), for benchmarks; not in the record shown.
    phases: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - started

    def add(self, site: str, seconds: float, bytes_back: int) -> None:
        for run in self.runs:
            if run.site == site:
                run.seconds += seconds
                run.bytes_back += bytes_back
                run.computations += 1
                return
        self.runs.append(SiteRun(site, seconds, bytes_back))

    @property
    def remote(self) -> bool:
        return any(run.site != "local" for run in self.runs)

    def summary(self) -> str:
        parts = [
            f"{run.site} {run.seconds:.2f} s, {format_bytes(run.bytes_back)} back"
            for run in self.runs
        ]
        if self.mixed_at:
            moved = ", ".join(
                f"{_end(hop.source)} → {_end(hop.target)} {format_bytes(hop.bytes)}"
                for hop in self.hops
            )
            parts.append(f"mixed at {self.mixed_at} ({moved})")
        return f"Dask Sites ({self.source}): " + "; ".join(parts)

    def as_dict(self) -> dict:
        """What ``dask_sites.last_record()`` returns (the same as the published record)."""
        return self.bundle()[0][RECORD_MIMETYPE]

    def bundle(self) -> tuple[dict, dict]:
        """``(data, metadata)`` for ``IPython.display.publish_display_data``."""
        record = {
            "route": self.route,
            "source": self.source,
            "sites": [run.site for run in self.runs if run.site != "local"],
            "runs": [asdict(run) for run in self.runs],
            "bytesBack": sum(run.bytes_back for run in self.runs if run.site != "local"),
            "seconds": self.wall_seconds,
            "hops": [hop.as_dict() for hop in self.hops],
            "mixedAt": self.mixed_at,
        }
        return {RECORD_MIMETYPE: record, "text/plain": self.summary()}, {}


def _end(end: str) -> str:
    return "this kernel" if end == HERE else end
