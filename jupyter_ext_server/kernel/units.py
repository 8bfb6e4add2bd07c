"""Bytes for people: one unit system, as the Lab shows it."""

from __future__ import annotations

#: Decimal units, as the Lab's panel shows them (``src/lab/components/format.ts``):
#: ``dask-sites.move-limit: "256 MB"`` shows as 256 MB.
_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def format_bytes(n: int | None) -> str:
    """``1536`` → ``1.54 kB``; the same digits as the panel's ``formatBytes``."""
    if n is None:
        return "unknown size"
    value, unit = float(max(0, n)), 0
    while value >= 1000 and unit < len(_UNITS) - 1:
        value /= 1000
        unit += 1
    digits = 0 if unit == 0 or value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {_UNITS[unit]}"
