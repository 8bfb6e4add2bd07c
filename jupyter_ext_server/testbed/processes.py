"""Start, watch and stop the testbed's processes without leaving any behind.

Every process the testbed starts (and every scheduler or worker a gateway
starts for it) carries ``DASK_SITES_TESTBED_ID`` in its environment, so
teardown can find stragglers even after their parent died.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

TESTBED_ID_ENV = "DASK_SITES_TESTBED_ID"


class StartupError(RuntimeError):
    """A component did not come up; the message says which and shows its log."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class ManagedProcess:
    """One long-running child, its log file and how to tell it is ready."""

    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    popen: subprocess.Popen | None = None

    def start(self, testbed_id: str) -> None:
        env = {**os.environ, **self.env, TESTBED_ID_ENV: testbed_id}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.cwd,
                start_new_session=True,  # its own group: Ctrl-C reaches only the supervisor
            )

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def exit_code(self) -> int | None:
        return self.popen.poll() if self.popen else None

    def wait_ready(self, probe: Callable[[], bool], timeout: float) -> None:
        """Poll ``probe`` until it answers True; fail early if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.exit_code()
            if code is not None:
                raise StartupError(
                    f"{self.name} exited with code {code} while starting. "
                    f"Last lines of {self.log_path}:\n{tail(self.log_path)}"
                )
            try:
                if probe():
                    return
            except Exception:
                pass
            time.sleep(0.1)
        raise StartupError(
            f"{self.name} did not become ready within {timeout:.0f} s. "
            f"Last lines of {self.log_path}:\n{tail(self.log_path)}"
        )

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the process group, then SIGKILL what is left after ``grace`` seconds."""
        if not self.popen or self.popen.poll() is not None:
            return
        signal_group(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            signal_group(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)


def signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def processes_of(testbed_id: str) -> list[psutil.Process]:
    """Every live process that belongs to this testbed, found by its environment."""
    found = []
    me = os.getpid()
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == me:
            continue
        try:
            if proc.environ().get(TESTBED_ID_ENV) == testbed_id:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def kill_stragglers(testbed_id: str, grace: float = 5.0) -> list[int]:
    """Terminate, then kill, whatever of this testbed is still running. Returns their pids."""
    stragglers = processes_of(testbed_id)
    for proc in stragglers:
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(stragglers, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace)
    return [p.pid for p in stragglers]
