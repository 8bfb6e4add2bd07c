"""Run the sidecar next to the Jupyter server: start it, restart it with backoff, stop it.

The sidecar listens on a Unix socket in a private (0700) directory; callers
must also send a secret. Two secrets: one for the server's proxy (browser
calls) and one for kernels (the only calls that may receive TLS keys).

A Unix socket's path has a hard limit (108 bytes on Linux, 104 on macOS),
and a deep Jupyter runtime directory passes it. The socket goes in the
runtime directory when its path is short enough, else in a private
directory under the system's temporary directory (or ``/tmp``). Not on a
loopback port: another local user could take the port while the sidecar
restarts and receive both secrets.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..node_runtime import bundled_program, find_node

SERVER_SECRET_ENV = "DASK_SITES_SIDECAR_SECRET"
KERNEL_SECRET_ENV = "DASK_SITES_KERNEL_SECRET"
ADDRESS_ENV = "DASK_SITES_SIDECAR"
USAGE_ERROR = 2  # the sidecar's exit code for bad settings: restarting cannot help
SOCKET_NAME = "sidecar.sock"
# The longest socket path we use: under macOS's 104 bytes (with the NUL), with room.
SOCKET_PATH_MAX = 100
# What mkdtemp adds under a base: "/dask-sites-" + 8 random characters + "/".
_SOCKET_DIR_PART = len("/dask-sites-12345678/")


def choose_listen_address(
    runtime_dir: Path, temp_dirs: tuple[Path, ...] | None = None
) -> tuple[str, Path, str]:
    """Where the sidecar listens: ``(url, its private directory, why there)``.

    The first base (the runtime directory, then the temporary directories)
    under which a socket path fits gets a private 0700 directory holding the
    socket. ``OSError`` (naming the setting to change) when none does.
    """
    bases = (runtime_dir, *(temp_dirs or (Path(tempfile.gettempdir()), Path("/tmp"))))
    for base in bases:
        if len(os.fsencode(base)) + _SOCKET_DIR_PART + len(SOCKET_NAME) > SOCKET_PATH_MAX:
            continue
        try:
            base.mkdir(parents=True, exist_ok=True)
            directory = Path(tempfile.mkdtemp(prefix="dask-sites-", dir=base))
        except OSError:
            continue
        directory.chmod(0o700)
        why = (
            "in the runtime directory"
            if base == runtime_dir
            else f"under {base}: the runtime directory {runtime_dir} is too deep for a "
            f"Unix socket path ({SOCKET_PATH_MAX} bytes at most)"
        )
        return f"unix:{directory / SOCKET_NAME}", directory, why
    raise OSError(
        f"no directory for the sidecar's socket: {', '.join(map(str, bases))} are too deep "
        f"for a Unix socket path ({SOCKET_PATH_MAX} bytes) or not writable; set TMPDIR to a "
        "short writable directory"
    )


@dataclass
class SidecarEndpoint:
    """Where the sidecar is and how to prove who we are."""

    url: str  # unix:/path or http://host:port
    server_secret: str = field(repr=False)
    kernel_secret: str = field(repr=False)

    @property
    def unix_socket(self) -> str | None:
        return self.url[len("unix:") :] if self.url.startswith("unix:") else None

    def kernel_environment(self) -> dict[str, str]:
        return {ADDRESS_ENV: self.url, KERNEL_SECRET_ENV: self.kernel_secret}


class SidecarProcess:
    """One supervised sidecar process."""

    def __init__(
        self,
        *,
        registry: str,
        public_url: str | None,
        state_dir: Path,
        runtime_dir: Path,
        node_command: str | None,
        auto_create_cluster: bool,
        allow_link_local_hosts: bool = False,
        kernel_clusters: str = "stop-with-kernel",
        kernel_cluster_grace: float = 60.0,
        log,
        backoff_max: float = 30.0,
    ):
        self.log = log
        self.registry = registry
        self.public_url = public_url
        self.state_dir = state_dir
        self.auto_create_cluster = auto_create_cluster
        self.allow_link_local_hosts = allow_link_local_hosts
        self.kernel_clusters = kernel_clusters
        self.kernel_cluster_grace = kernel_cluster_grace
        self.node_command = node_command
        self.backoff_max = backoff_max
        url, self.socket_dir, why = choose_listen_address(runtime_dir)
        self.log.info("Dask Sites: the sidecar listens %s", why)
        self.endpoint = SidecarEndpoint(
            url=url,
            server_secret=secrets.token_urlsafe(32),
            kernel_secret=secrets.token_urlsafe(32),
        )
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._stopping = False
        self._supervisor: asyncio.Task | None = None
        self._ready = asyncio.Event()

    # -- public ---------------------------------------------------------------

    def start(self) -> None:
        """Start supervising (returns at once; `wait_ready` waits for the first start)."""
        self._supervisor = asyncio.ensure_future(self._supervise())

    async def wait_ready(self, timeout: float = 30.0) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.returncode is None else None

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor:
            self._supervisor.cancel()
        process = self.process
        if process and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
        try:
            for child in self.socket_dir.iterdir():
                child.unlink()
            self.socket_dir.rmdir()
        except OSError:
            pass

    # -- supervision ----------------------------------------------------------

    def command(self) -> list[str]:
        """The sidecar's command line (also for a sidecar run without a server: runner/)."""
        command = [
            find_node(self.node_command or None),
            str(bundled_program("sidecar.mjs")),
            "--registry",
            self.registry,
            "--listen",
            self.endpoint.url,
            "--state-dir",
            str(self.state_dir),
            "--parent-pid",
            str(os.getpid()),  # it exits if the server dies without stopping it
        ]
        if self.public_url:
            command += ["--public-url", self.public_url]
        if self.auto_create_cluster:
            command.append("--auto-create-cluster")
        if self.allow_link_local_hosts:
            command.append("--allow-link-local-hosts")
        command += [
            "--kernel-clusters",
            self.kernel_clusters,
            "--kernel-cluster-grace",
            repr(float(self.kernel_cluster_grace)),
        ]
        return command

    async def _supervise(self) -> None:
        delay = 1.0
        while not self._stopping:
            started = asyncio.get_running_loop().time()
            try:
                code = await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # a missing bundle, no Node.js, ...
                self.log.error("Dask Sites: could not start the sidecar: %s", err)
                code = None
            if self._stopping:
                return
            if code == USAGE_ERROR:
                self.log.error("Dask Sites: the sidecar refused its settings; not restarting it.")
                return
            # A sidecar that ran a while before dying is restarted quickly again.
            if asyncio.get_running_loop().time() - started > 60:
                delay = 1.0
            self.log.warning("Dask Sites: restarting the sidecar in %.0f s", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_max)
            self.restarts += 1

    def environment(self) -> dict[str, str]:
        """The sidecar's environment: this process's, and the two secrets."""
        return {
            **os.environ,
            SERVER_SECRET_ENV: self.endpoint.server_secret,
            KERNEL_SECRET_ENV: self.endpoint.kernel_secret,
        }

    async def _run_once(self) -> int | None:
        self.process = process = await asyncio.create_subprocess_exec(
            *self.command(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.environment(),
            limit=1 << 20,  # long log lines must not stop the readers
            start_new_session=True,  # Ctrl-C in the server's terminal is the server's to handle
        )
        self.log.info("Dask Sites: sidecar started (pid %d)", process.pid)
        assert process.stdout is not None and process.stderr is not None  # PIPE above
        try:
            await asyncio.gather(
                self._read_stdout(process.stdout),
                self._forward_log(process.stderr),
            )
            code = await process.wait()
        finally:
            # Never leave a sidecar running unsupervised (its pipes would fill up).
            if process.returncode is None:
                process.kill()
                await process.wait()
        self._ready.clear()
        if not self._stopping:
            self.log.error("Dask Sites: the sidecar exited with code %s", code)
        return code

    async def _read_stdout(self, stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            line = raw.decode(errors="replace").rstrip()
            if line.startswith("ready "):
                self.log.info("Dask Sites: sidecar ready at %s", line[len("ready ") :])
                self._ready.set()
            elif line:
                self.log.info("Dask Sites sidecar: %s", line)

    async def _forward_log(self, stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            line = raw.decode(errors="replace").rstrip()
            if line:
                self.log.info("Dask Sites sidecar: %s", line)
