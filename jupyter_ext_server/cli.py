"""The ``dask-sites`` command line.

The testbed's modules are imported by the commands that use them: they need
the ``testbed`` extra (moto, zarr, dask-gateway-server), which the other
commands do without.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ._version import __version__


def _progress(message: str) -> None:
    print(f"  … {message}", flush=True)


# -- testbed -------------------------------------------------------------------


def _testbed_from_args(args):
    from .testbed import Testbed

    return Testbed(
        state_dir=args.state_dir,
        sites=args.sites,
        size=args.size,
        access_token_ttl=args.token_ttl,
        idle_timeout=args.idle_timeout,
        redirect_uris=args.redirect_uri or [],
        hostile_dashboards=getattr(args, "hostile_dashboards", []),
    )


def _wait_for_signal(testbed) -> None:
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
    from .testbed import describe, read_state
    from .testbed.testbed import default_state_dir

    try:
        testbed = _testbed_from_args(args)  # checks the options before anything starts
    except ValueError as err:
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
        info = testbed.start(progress=_progress)
    except Exception as err:
        print(f"The testbed failed to start: {err}", file=sys.stderr)
        return 1
    print(describe(info))
    print(f"ready in {time.monotonic() - started:.1f} s. Press Ctrl-C to stop.", flush=True)
    try:
        _wait_for_signal(testbed)
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
    from .testbed import describe, read_state

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
        "--idle-timeout",
        str(args.idle_timeout),
    ]
    for uri in args.redirect_uri or []:
        command += ["--redirect-uri", uri]
    if args.hostile_dashboards:
        command += ["--hostile-dashboards", ",".join(args.hostile_dashboards)]
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
    from .testbed import read_state
    from .testbed.processes import kill_stragglers
    from .testbed.testbed import STATE_FILE, default_state_dir

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
    from .testbed import read_state
    from .testbed.gateway import gateway_is_healthy, gateway_version
    from .testbed.issuer import issuer_is_healthy
    from .testbed.storage import storage_is_healthy
    from .testbed.testbed import default_state_dir

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
    print(
        f"Testbed {info.status}, supervisor pid {info.supervisor_pid}, "
        f"registry {info.registry_path}"
    )
    for what, where, state in rows:
        all_up &= state.startswith("up")
        print(f"  {what:<20} {where:<28} {state}")
    return 0 if all_up else 1


# -- demo ----------------------------------------------------------------------


def _wait_for_lab(lab: subprocess.Popen, base: str, token: str, timeout: float) -> bool:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and lab.poll() is None:
        try:
            if requests.get(
                f"{base}/api/status", headers={"Authorization": f"token {token}"}, timeout=2
            ).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.3)
    return False


def cmd_demo(args) -> int:
    """Testbed plus JupyterLab with Dask Sites pointed at it."""
    from .testbed import describe
    from .testbed.processes import free_port
    from .testbed.testbed import notebook_environment

    port = args.port or free_port()
    token = secrets.token_urlsafe(24)
    base = f"http://127.0.0.1:{port}"
    args.redirect_uri = [f"{base}/dask-sites/oidc/callback"]
    testbed = _testbed_from_args(args)
    print("Starting the Dask Sites demo …", flush=True)
    try:
        info = testbed.start(progress=_progress)
    except Exception as err:
        print(f"The testbed failed to start: {err}", file=sys.stderr)
        return 1
    lab = None
    try:
        notebook_dir = Path(args.notebook_dir).resolve()
        lab = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={port}",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={notebook_dir}",
                f"--DaskSites.registry={info.registry_path}",
                # The demo notebooks may start each site's cluster on first use.
                "--DaskSites.auto_create_cluster=True",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            start_new_session=True,
            # Kernels inherit this: the testbed's object-store credentials.
            env={**os.environ, **notebook_environment()},
        )
        print(describe(info))
        if not _wait_for_lab(lab, base, token, timeout=120):
            print("JupyterLab did not start; see its output above.", file=sys.stderr)
            return 1
        print(f"\nJupyterLab with Dask Sites: {base}/lab?token={token}")
        print("Log in to a site as alice / alice-dask-sites. Press Ctrl-C to stop.\n", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.wait(1.0):
            if lab.poll() is not None:
                print(f"JupyterLab exited with code {lab.returncode}.", file=sys.stderr)
                break
    finally:
        if lab and lab.poll() is None:
            lab.send_signal(signal.SIGTERM)
            try:
                lab.wait(20)
            except subprocess.TimeoutExpired:
                lab.kill()
        testbed.stop()
        print("Stopped.", flush=True)
    return 0


# -- registry ------------------------------------------------------------------


def cmd_registry_validate(args) -> int:
    from .registry import RegistryError, host_warnings, load_registry

    try:
        document = load_registry(args.file, args.allow_link_local_hosts)
    except RegistryError as err:
        print(err, file=sys.stderr)
        return 1
    for warning in host_warnings(document):
        print(f"warning: {warning}", file=sys.stderr)
    names = ", ".join(site["name"] for site in document["sites"])
    print(f"{args.file}: valid, {len(document['sites'])} site(s): {names}")
    return 0


# -- parser --------------------------------------------------------------------


def _site_list(text: str) -> list[str]:
    from .testbed.sites import parse_site_names

    try:
        return parse_site_names(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_testbed_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sites",
        type=_site_list,
        default="central,lumi,leonardo",
        help="comma-separated sites to run (default: %(default)s)",
    )
    parser.add_argument(
        "--size",
        choices=["small", "medium"],
        default="small",
        help="data size: small builds in seconds, medium is hundreds of MB",
    )
    parser.add_argument(
        "--token-ttl",
        type=int,
        default=300,
        metavar="SECONDS",
        help="access token lifetime (default: %(default)s)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=1800,
        metavar="SECONDS",
        help="stop clusters idle this long (default: %(default)s)",
    )
    parser.add_argument(
        "--state-dir",
        default=None,
        help="configs, logs and state (default: $DASK_SITES_TESTBED_DIR "
        "or ~/.cache/dask-sites/testbed)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dask-sites",
        description="Dask Sites: run each notebook cell's Dask work at the site holding its data.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    testbed = commands.add_parser(
        "testbed",
        help="run real sites on this machine",
        description="Run real sites on this machine: an OIDC issuer and, "
        "per site, a Dask Gateway and an S3-compatible object store.",
    )
    testbed_commands = testbed.add_subparsers(
        dest="testbed_command", required=True, metavar="ACTION"
    )
    up = testbed_commands.add_parser(
        "up",
        help="start the testbed (Ctrl-C stops it)",
        description="Start the testbed and print its URLs, users and "
        "registry file. Ctrl-C or SIGTERM stops everything.",
    )
    _add_testbed_options(up)
    up.add_argument("--detach", action="store_true", help="run in the background")
    up.add_argument("--timeout", type=float, default=600, help="seconds to wait with --detach")
    up.add_argument(
        "--redirect-uri",
        action="append",
        help="an OAuth redirect URI to allow for the dask-sites client (repeatable)",
    )
    up.add_argument(
        "--hostile-dashboards",
        type=_site_list,
        default=[],
        metavar="SITES",
        help="for security tests: these sites' schedulers also serve a hostile dashboard "
        "page (/hostile) that tries to act as the user",
    )
    up.set_defaults(func=cmd_testbed_up)
    down = testbed_commands.add_parser(
        "down",
        help="stop a detached testbed",
        description="Stop a testbed started with --detach, and any process it left behind.",
    )
    down.add_argument("--state-dir", default=None)
    down.set_defaults(func=cmd_testbed_down)
    status = testbed_commands.add_parser(
        "status",
        help="show whether each part answers",
        description="Show whether each part of a running testbed answers. Exit code 0 when all do.",
    )
    status.add_argument("--state-dir", default=None)
    status.set_defaults(func=cmd_testbed_status)

    demo = commands.add_parser(
        "demo",
        help="testbed + JupyterLab with Dask Sites",
        description="Start the testbed and JupyterLab configured for it; "
        "prints the URL and the demo credentials.",
    )
    _add_testbed_options(demo)
    demo.add_argument(
        "--port", type=int, default=8888, help="JupyterLab port (default: %(default)s)"
    )
    demo.add_argument("--notebook-dir", default="examples", help="folder JupyterLab opens")
    demo.set_defaults(func=cmd_demo)

    registry = commands.add_parser(
        "registry", help="site registry tools", description="Work with site registry files."
    )
    registry_commands = registry.add_subparsers(
        dest="registry_command", required=True, metavar="ACTION"
    )
    validate = registry_commands.add_parser(
        "validate",
        help="check a registry file",
        description="Validate a site registry file against "
        "its JSON Schema; errors name the site and the field.",
    )
    validate.add_argument("file")
    validate.add_argument(
        "--allow-link-local-hosts",
        action="store_true",
        help="accept link-local and cloud-metadata hosts (as c.DaskSites.allow_link_local_hosts)",
    )
    validate.set_defaults(func=cmd_registry_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
