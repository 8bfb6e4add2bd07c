"""The Python client knows the same error codes as the TypeScript protocol."""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_ext_server.sidecar_client import ERROR_CODES, SidecarError, _code_of

PROTOCOL = Path(__file__).resolve().parents[1] / "src" / "protocol" / "error-codes.ts"


def typescript_codes() -> list[str]:
    source = PROTOCOL.read_text(encoding="utf-8")
    body = re.search(r"export const ERROR_CODES = \[(.*?)\] as const", source, re.S)
    assert body, f"no ERROR_CODES array in {PROTOCOL}"
    without_comments = re.sub(r"/\*.*?\*/|//[^\n]*", "", body.group(1), flags=re.S)
    return re.findall(r"'([a-z-]+)'", without_comments)


def test_python_codes_equal_the_typescript_ones():
    codes = typescript_codes()
    assert len(codes) > 20 and "login-needed" in codes
    assert list(ERROR_CODES) == codes


def test_a_newer_sidecars_code_is_not_taken_for_an_older_sidecar():
    from jupyter_ext_server.kernel.errors import site_error_from

    newer = SidecarError(404, "no such dataset", None, "unknown-dataset")
    assert str(site_error_from(newer)) == "no such dataset"
    assert "older than the kernel" in str(site_error_from(SidecarError(404, "not found")))
    assert "older than the kernel" in str(
        site_error_from(SidecarError(404, "not found", "unknown-route"))
    )


def test_unknown_codes_are_not_passed_on():
    assert _code_of({"error": "x", "code": "no-cluster"}) == "no-cluster"
    assert _code_of({"error": "x", "code": "<b>made-up</b>"}) is None
    assert _code_of({"error": "x", "code": ["login-needed"]}) is None
    assert _code_of("not a dict") is None
    assert SidecarError(409, "x", "no-cluster").code == "no-cluster"
