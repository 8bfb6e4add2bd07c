"""`dask-sites run NOTEBOOK`: run a notebook headless with its Dask Sites tags honoured."""

from __future__ import annotations

import sys
from pathlib import Path


def cmd_run(args) -> int:
    from ..runner import RunError, parse_value, run_notebook
    from ..runner.standalone_sidecar import registry_from_environment

    notebook = Path(args.notebook)
    if not notebook.is_file():
        print(f"dask-sites run: no notebook at {notebook}", file=sys.stderr)
        return 2
    try:
        parameters = {name: parse_value(value) for name, value in args.parameter or []}
        output, error = run_notebook(
            notebook,
            registry=args.registry or registry_from_environment(),
            output=Path(args.output) if args.output else None,
            parameters=parameters,
            state_dir=Path(args.state_dir) if args.state_dir else None,
            cell_timeout=args.cell_timeout,
            login_timeout=args.login_timeout,
            kernel_name=args.kernel,
        )
    except (RunError, ValueError) as err:
        print(f"dask-sites run: {err}", file=sys.stderr)
        return 2
    if error:
        print(
            f"{notebook}: a cell failed ({error}); the run so far is in {output}", file=sys.stderr
        )
        return 1
    print(f"{notebook}: ran; the executed notebook is {output}")
    return 0


def add_run_parser(commands) -> None:
    run = commands.add_parser(
        "run",
        help="run a notebook headless, honouring its site tags",
        description="Run a notebook in a fresh kernel with a sidecar of its own, sending each "
        "cell's site tag and the notebook's default site as JupyterLab does. Logins come "
        "from the sidecar's state (where the registry lets it keep them) or a device code "
        "printed here. Writes the executed notebook, with each cell's run record, also "
        "when a cell fails (exit code 1).",
    )
    run.add_argument("notebook")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a parameter (a Python literal, else text), papermill's way (repeatable)",
    )
    run.add_argument("--output", "-o", help="where to write it (default: NOTEBOOK.out.ipynb)")
    run.add_argument("--registry", help="the site registry (default: $DASK_SITES_REGISTRY)")
    run.add_argument(
        "--state-dir",
        help="the sidecar's own state, e.g. kept logins (default: "
        "$DASK_SITES_RUN_STATE_DIR or <jupyter data dir>/dask-sites-run)",
    )
    run.add_argument("--kernel", default="python3", help="kernel name (default: %(default)s)")
    run.add_argument("--cell-timeout", type=float, default=None, metavar="SECONDS")
    run.add_argument(
        "--login-timeout",
        type=float,
        default=600,
        metavar="SECONDS",
        help="how long to wait for a device login to be confirmed (default: %(default)s)",
    )
    run.set_defaults(func=cmd_run)
