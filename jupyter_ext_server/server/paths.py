"""What a path under ``/dask-sites/`` means, decided once (as the sidecar decides it).

Each segment is percent-decoded once; a segment that is then ``.`` or ``..``,
or holds ``/``, ``?``, ``#``, ``\\``, ``%`` or a control character, is refused:
it would mean one path here and another at the sidecar (whose own check,
``src/sidecar/http/paths.ts``, follows the same rule).
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from ..echo import quoted

_FORBIDDEN = re.compile(r"[/?#\\%\x00-\x1f\x7f]")


class PathRefused(ValueError):
    """Why a path is refused, for the user (the path is cut short)."""


def path_segments(raw: str) -> list[str]:
    """The decoded segments of ``raw`` (still percent-encoded, as it came)."""
    parts = raw.lstrip("/").split("/")
    segments = []
    for index, part in enumerate(parts):
        try:
            segment = unquote(part, errors="strict")
        except UnicodeDecodeError:
            raise PathRefused(
                f"path segment {quoted(part)} is not valid percent-encoding"
            ) from None
        if segment == "" and index < len(parts) - 1:
            raise PathRefused("the path has an empty segment (//)")
        if segment in (".", ".."):
            raise PathRefused(f'path segment {quoted(part)} is "{segment}"')
        if _FORBIDDEN.search(segment):
            raise PathRefused(
                f'path segment {quoted(part)} holds "/", "?", "#", "\\", "%" or a control '
                "character once decoded"
            )
        segments.append(segment)
    return segments


# Characters a path segment may carry unescaped (RFC 3986 pchar).
_SEGMENT_SAFE = "!$&'()*+,;=:@-._~"


def segments_path(segments: list[str]) -> str:
    """The path of checked segments, each escaped again where it needs to be."""
    return "/".join(quote(segment, safe=_SEGMENT_SAFE) for segment in segments)
