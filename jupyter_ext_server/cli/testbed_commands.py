"""`dask-sites testbed up | down | status`: real sites on this machine.

The testbed's modules are imported by the commands that use them: they need
the ``testbed`` extra (moto, zarr, dask-gateway-server, jupyterhub), which
the other commands do without.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


def print_progress(message: str) -> None:
    print(f"  … {message}", flush=True)


def testbed_from_args(args):
    from ..testbed import Testbed

    return Testbed(
        state_dir=args.state_dir,
        sites=args.sites,
        size=args.size,
        access_token_ttl=args.token_ttl,
        storage_key_seconds=args.storage_key_seconds,
        idle_timeout=args.idle_timeout,
        redirect_uris=getattr(args, "redirect_uri", None) or [],
        hostile_dashboards=getattr(args, "hostile_dashboards", []),
        hub=args.hub,
        hub_port=args.hub_port,
        hub_auth_sites=args.hub_auth_sites,
        hub_notebook_dir=getattr(args, "hub_notebook_dir", ""),
    )


def wait_for_signal(testbed) -> None:
    """Block until Ctrl-C or SIGTERM; warn if a part dies meanwhile."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    reported = set()
    while not stop.wait(1.0):
        for name, process in testbed.processes.items():
            code = process.exit_code()
            if code is not None and name not in reported:
                reported.add(name)
                print(
                    f"!! {process.name} exited with code {code}; see {process.log_path}",
                    file=sys.stderr,
                    flush=True,
                )


def cmd_testbed_up(args) -> int:
    from ..testbed import describe, read_state
    from ..testbed.hub import HubSetupError
    from ..testbed.testbed import default_state_dir

    try:
        testbed = testbed_from_args(args)  # checks the options before anything starts
    except (ValueError, HubSetupError) as err:
        print(f"dask-sites testbed up: {err}", file=sys.stderr)
        return 2
    state_dir = Path(args.state_dir or default_state_dir())
    running = read_state(state_dir)
    if running and _alive(running.supervisor_pid):
        print(
            f"A testbed is already running from {state_dir} (pid {running.supervisor_pid}).\n"
            "Stop it with `dask-sites testbed down`, or pass another --state-dir.",
            file=sys.stderr,
        )
        return 1
    if args.detach:
        return _detach(args, state_dir)

    print(f"Starting the Dask Sites testbed in {testbed.state_dir} …", flush=True)
    started = time.monotonic()
    try:
        info = testbed.start(progress=print_progress)
    except Exception as err:
        print(f"The testbed failed to start: {err}", file=sys.stderr)
        return 1
    print(describe(info))
    print(f"ready in {time.monotonic() - started:.1f} s. Press Ctrl-C to stop.", flush=True)
    try:
        wait_for_signal(testbed)
    finally:
        print("Stopping the testbed …", flush=True)
        killed = testbed.stop()
        if killed:
            print(f"  killed {len(killed)} leftover process(es)")
        print("Stopped.", flush=True)
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _detach(args, state_dir: Path) -> int:
    """Run ``testbed up`` in the background and return once it is ready."""
    from ..testbed import describe, read_state

    state_dir.mkdir(parents=True, exist_ok=True)
    log = state_dir / "testbed.log"
    command = [
        sys.executable,
        "-m",
        "jupyter_ext_server.cli",
        "testbed",
        "up",
        "--state-dir",
        str(state_dir),
        "--sites",
        ",".join(args.sites),
        "--size",
        args.size,
        "--token-ttl",
        str(args.token_ttl),
        "--storage-key-seconds",
        str(args.storage_key_seconds),
        "--idle-timeout",
        str(args.idle_timeout),
    ]
    for uri in args.redirect_uri or []:
        command += ["--redirect-uri", uri]
    if args.hostile_dashboards:
        command += ["--hostile-dashboards", ",".join(args.hostile_dashboards)]
    if args.hub:
        command += ["--hub", "--hub-port", str(args.hub_port)]
    if args.hub_auth_sites:
        command += ["--hub-auth-sites", ",".join(args.hub_auth_sites)]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    print(f"Starting the testbed in the background (log: {log}) …", flush=True)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(
                f"The testbed failed to start:\n{log.read_text(errors='replace')}", file=sys.stderr
            )
            return 1
        info = read_state(state_dir)
        if info and info.status == "ready" and info.supervisor_pid == process.pid:
            print(describe(info))
            print(
                "Stop it with `dask-sites testbed down"
                + (f" --state-dir {state_dir}`." if args.state_dir else "`.")
            )
            return 0
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    print(f"The testbed was not ready within {args.timeout} s; see {log}", file=sys.stderr)
    return 1


def cmd_testbed_down(args) -> int:
    from ..testbed import read_state
    from ..testbed.processes import kill_stragglers
    from ..testbed.testbed import STATE_FILE, default_state_dir

    state_dir = Path(args.state_dir or default_state_dir())
    info = read_state(state_dir)
    if info is None:
        print(f"No testbed is running from {state_dir}.")
        return 0
    if _alive(info.supervisor_pid):
        os.kill(info.supervisor_pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while _alive(info.supervisor_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
    killed = kill_stragglers(info.testbed_id)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    print("Testbed stopped." + (f" Killed {len(killed)} leftover process(es)." if killed else ""))
    return 0


def cmd_testbed_status(args) -> int:
    from ..testbed import read_state
    from ..testbed.gateway import gateway_is_healthy, gateway_version
    from ..testbed.hub import hub_is_healthy
    from ..testbed.issuer import issuer_is_healthy
    from ..testbed.storage import storage_is_healthy
    from ..testbed.testbed import default_state_dir

    state_dir = Path(args.state_dir or default_state_dir())
    info = read_state(state_dir)
    if info is None or not _alive(info.supervisor_pid):
        print(f"No testbed is running from {state_dir}.")
        return 3

    def check(probe, target) -> str:
        try:
            return "up" if probe(target) else "not answering"
        except Exception as err:
            return f"down ({type(err).__name__})"

    all_up = True
    rows = [("issuer", info.issuer, check(issuer_is_healthy, info.issuer))]
    for name, ends in info.sites.items():
        state = check(gateway_is_healthy, ends.gateway)
        version = gateway_version(ends.gateway) if state == "up" else None
        rows.append((f"{name} gateway", ends.gateway, state + (f", v{version}" if version else "")))
        rows.append((f"{name} storage", ends.storage, check(storage_is_healthy, ends.storage)))
    if info.hub:
        rows.append(("hub", info.hub, check(hub_is_healthy, info.hub)))
    print(
        f"Testbed {info.status}, supervisor pid {info.supervisor_pid}, "
        f"registry {info.registry_path}"
    )
    for what, where, state in rows:
        all_up &= state.startswith("up")
        print(f"  {what:<20} {where:<28} {state}")
    return 0 if all_up else 1
