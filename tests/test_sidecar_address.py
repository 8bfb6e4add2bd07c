"""Where the server's sidecar listens: a Unix socket whose path always fits, else loopback."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from jupyter_ext_server.server.sidecar_process import SOCKET_PATH_MAX, choose_listen_address


def deep(base: Path, length: int) -> Path:
    """A directory path of about ``length`` bytes under ``base``."""
    path = base
    while len(str(path)) < length:
        path = path / "runtime-dir-of-a-long-user-name"
    return path


def test_a_short_runtime_dir_holds_the_socket_in_a_private_directory(tmp_path):
    url, directory, why = choose_listen_address(tmp_path / "rt", (tmp_path / "tmp",))
    assert url == f"unix:{directory}/sidecar.sock"
    assert directory.parent == tmp_path / "rt"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert why == "in the runtime directory"


def test_a_deep_runtime_dir_puts_the_socket_under_the_temporary_directory(tmp_path):
    runtime = deep(tmp_path, 120)
    url, directory, why = choose_listen_address(runtime, (tmp_path / "tmp",))
    assert directory is not None and directory.parent == tmp_path / "tmp"
    assert len(url) - len("unix:") <= SOCKET_PATH_MAX
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert str(runtime) in why and "too deep" in why
    assert not runtime.exists()  # nothing made where it could not be used


def test_when_no_directory_fits_it_says_what_to_set(tmp_path):
    # Not a loopback port: another local user could take it and receive both secrets.
    with pytest.raises(OSError, match="set TMPDIR to a short writable directory"):
        choose_listen_address(deep(tmp_path, 120), (deep(tmp_path, 110),))


def test_the_server_log_says_where_the_sidecar_listens_and_why(tmp_path, monkeypatch):
    from jupyter_ext_server.server.sidecar_process import SidecarProcess

    class Log:
        def __init__(self):
            self.lines: list[str] = []

        def info(self, message, *args):
            self.lines.append(message % args)

    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path / "tmp"))
    runtime = deep(tmp_path, 120)
    log = Log()
    sidecar = SidecarProcess(
        registry="registry.json",
        public_url=None,
        state_dir=tmp_path / "state",
        runtime_dir=runtime,
        node_command=None,
        auto_create_cluster=False,
        log=log,
    )
    assert sidecar.endpoint.unix_socket.startswith(str(tmp_path / "tmp"))
    assert any(
        "too deep for a Unix socket path" in line and str(runtime) in line for line in log.lines
    )
