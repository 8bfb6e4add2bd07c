"""Drive a real ipykernel the way JupyterLab does, and read what it printed."""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from jupyter_client.manager import start_new_kernel

RECORD_MIMETYPE = "application/vnd.dask-sites.record+json"


@dataclass
class Message:
    """A display message of the cell, with when it arrived (``time.monotonic``)."""

    kind: str  # "display_data" or "update_display_data"
    data: dict
    display_id: str | None
    at: float


@dataclass
class CellOutputs:
    result: str | None = None
    results: int = 0  # execute_result messages: a cell shows its value once
    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    displays: list[dict] = field(default_factory=list)
    status: str = ""  # the execute_reply's: "ok", "error" or "aborted"
    traceback: list[str] = field(default_factory=list)
    #: Display messages in order, updates included.
    messages: list[Message] = field(default_factory=list)
    #: Comms the kernel opened during the cell (target_name, data).
    comm_opens: list[dict] = field(default_factory=list)
    #: When the kernel went idle after the cell (``time.monotonic``).
    ended_at: float = 0.0

    @property
    def record(self) -> dict | None:
        """The Dask Sites record the cell published, if any (as its own output, or
        in place of the cell's progress output)."""
        for message in reversed(self.messages):
            if RECORD_MIMETYPE in message.data:
                return message.data[RECORD_MIMETYPE]
        return None


def kernel_environment(sidecar, extra: dict | None = None) -> dict:
    from jupyter_ext_server.testbed.testbed import notebook_environment

    return {
        **os.environ,
        **notebook_environment(),
        "DASK_SITES_SIDECAR": sidecar.url,
        "DASK_SITES_KERNEL_SECRET": sidecar.kernel_secret,
        **(extra or {}),
    }


def start_kernel(env: dict):
    """(manager, client) of a python3 kernel with ``dask_sites`` loaded."""
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    run(client, "%load_ext dask_sites")
    return manager, client


@contextmanager
def kernel_running(sidecar, setup: str = "") -> Iterator:
    """A kernel client of a fresh kernel that ran ``setup``; stopped at the end."""
    manager, client = start_kernel(kernel_environment(sidecar))
    try:
        if setup:
            out = run(client, setup)
            assert out.error is None, out
        yield client
    finally:
        stop_kernel(manager, client)


def stop_kernel(manager, client) -> None:
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(
    client, code: str, metadata: dict | None = None, timeout: float = 120, silent: bool = False
) -> CellOutputs:
    """Execute like JupyterLab does (cell metadata in the request); collect the outputs."""
    message = client.session.msg(
        "execute_request",
        {
            "code": code,
            "silent": silent,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        metadata=metadata or {},
    )
    client.shell_channel.send(message)
    outputs = CellOutputs()
    while True:
        try:
            reply = client.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no answer from the kernel for {code!r}") from None
        if reply["parent_header"].get("msg_id") != message["header"]["msg_id"]:
            continue
        kind, content = reply["msg_type"], reply["content"]
        if kind == "execute_result":
            outputs.result = content["data"]["text/plain"]
            outputs.results += 1
        elif kind in ("display_data", "update_display_data"):
            if kind == "display_data":
                outputs.displays.append(content["data"])
            display_id = (content.get("transient") or {}).get("display_id")
            outputs.messages.append(Message(kind, content["data"], display_id, time.monotonic()))
        elif kind == "comm_open":
            outputs.comm_opens.append(
                {"target_name": content["target_name"], "data": content["data"]}
            )
        elif kind == "stream" and content["name"] == "stdout":
            outputs.stdout += content["text"]
        elif kind == "stream":
            outputs.stderr += content["text"]
        elif kind == "error":
            outputs.error = f"{content['ename']}: {content['evalue']}"
            outputs.traceback = list(content.get("traceback") or [])
        elif kind == "status" and content["execution_state"] == "idle":
            outputs.ended_at = time.monotonic()
            while True:
                shell_reply = client.get_shell_msg(timeout=timeout)
                if shell_reply["parent_header"].get("msg_id") == message["header"]["msg_id"]:
                    outputs.status = shell_reply["content"]["status"]
                    return outputs
