"""The Jupyter proxy reads paths under /dask-sites/ as the sidecar does (one list of cases)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_ext_server.server.paths import PathRefused, path_segments

CASES = json.loads((Path(__file__).parent / "data" / "path-cases.json").read_text())


@pytest.mark.parametrize(("raw", "segments"), CASES["accepted"])
def test_accepted_paths_decode_once(raw, segments):
    assert path_segments(raw) == segments


@pytest.mark.parametrize("raw", CASES["refused"])
def test_refused_paths_say_why(raw):
    with pytest.raises(PathRefused) as refused:
        path_segments(raw)
    assert str(refused.value).startswith(("path segment ", "the path has an empty segment"))


def test_a_refusal_echoes_at_most_64_characters():
    with pytest.raises(PathRefused) as refused:
        path_segments("api/" + "%2F" * 5000)
    assert len(str(refused.value)) < 200
