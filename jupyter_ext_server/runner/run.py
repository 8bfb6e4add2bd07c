"""Run a notebook headless with its Dask Sites tags honoured (``dask-sites run``)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

from .parameters import inject_parameters
from .standalone_sidecar import standalone_sidecar
from .tagged_client import SiteTaggedClient


def default_output(notebook: Path) -> Path:
    return notebook.with_name(f"{notebook.stem}.out.ipynb")


def run_notebook(
    notebook: Path,
    *,
    registry: str,
    output: Path | None = None,
    parameters: dict[str, object] | None = None,
    state_dir: Path | None = None,
    cell_timeout: float | None = None,
    login_timeout: float = 600.0,
    kernel_name: str = "python3",
) -> tuple[Path, str | None]:
    """Execute ``notebook`` in a fresh kernel next to a sidecar of its own; write the
    executed notebook (with each cell's run record) to ``output`` even when a cell
    fails. Returns ``(output, the failing cell's error or None)``."""
    output = output or default_output(notebook)
    document = nbformat.read(notebook, as_version=4)
    if parameters:
        inject_parameters(document, parameters)
    client = SiteTaggedClient(
        document,
        timeout=cell_timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(notebook.resolve().parent)}},
    )
    error = None
    with standalone_sidecar(registry, state_dir, login_timeout=login_timeout) as environment:
        try:
            client.execute(env={**os.environ, **environment})
        except CellExecutionError as err:
            error = f"{err.ename}: {err.evalue}"
        finally:
            nbformat.write(document, output)
    return output, error
