"""How error messages repeat what a user gave: quoted, and cut short.

The same limit as the sidecar's (``src/sidecar/errors.ts``): a message never
repeats a 10 kB site name or path.
"""

from __future__ import annotations

ECHO_LIMIT = 64


def quoted(text: object) -> str:
    """``"text"``, cut to ``ECHO_LIMIT`` characters."""
    shown = str(text)
    if len(shown) > ECHO_LIMIT:
        shown = shown[:ECHO_LIMIT] + "…"
    return '"' + shown.replace("\\", "\\\\").replace('"', '\\"') + '"'
