"""Notebooks run headless with their site tags honoured: `dask-sites run` and papermill's
`dask-sites` engine, each with a sidecar of its own, on the real testbed.

The first run logs in with a device code it prints (confirmed here on the
issuer's pages, as a person would); the registry lets the sidecar keep that
login, so the runs after it start without asking.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from jupyter_ext_server.testbed.login import approve_device
from jupyter_ext_server.testbed.testbed import notebook_environment
from support.kernels import RECORD_MIMETYPE

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PROMPT = re.compile(r"Log in to (.+): open (\S+) and confirm the code (\S+)")
WHERE = (
    "import dask, os\n"
    "dask.delayed(lambda n: (os.environ.get('DASK_SITES_SITE', 'local'), 2 * n))(n).compute()"
)


@pytest.fixture(scope="module")
def kept_registry(testbed, tmp_path_factory) -> Path:
    """The testbed's registry, letting a sidecar keep its logins."""
    document = json.loads(Path(testbed.registry_path).read_text())
    for site in document["sites"]:
        site["auth"]["persist_refresh_token"] = True
    path = tmp_path_factory.mktemp("run-registry") / "registry.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def environment(kept_registry, tmp_path_factory) -> dict[str, str]:
    return {
        **os.environ,
        **notebook_environment(),  # no keys: the sidecar gets them for the login
        "DASK_SITES_REGISTRY": str(kept_registry),
        "DASK_SITES_RUN_STATE_DIR": str(tmp_path_factory.mktemp("run-state")),
    }


class Ran:
    def __init__(self, code: int, stdout: str, stderr: str, prompts: list[str]):
        self.code, self.stdout, self.stderr, self.prompts = code, stdout, stderr, prompts


def run(command: list[str], env: dict[str, str], tmp_path: Path) -> Ran:
    """Run a command; confirm (as alice) any device login it asks for on stderr."""
    stdout_path = tmp_path / "stdout.txt"
    with open(stdout_path, "w") as stdout:
        process = subprocess.Popen(
            command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env
        )
    prompts: list[str] = []
    lines: list[str] = []

    def confirm_logins() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            asked = PROMPT.search(line)
            if asked:
                prompts.append(asked.group(1))
                approve_device(asked.group(2), "alice", "alice-dask-sites")

    reader = threading.Thread(target=confirm_logins, daemon=True)
    reader.start()
    try:
        process.wait(timeout=540)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(10)
    return Ran(process.returncode, stdout_path.read_text(), "".join(lines), prompts)


def records(notebook) -> dict[int, dict]:
    """The run records the cells published, by cell index."""
    found = {}
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if RECORD_MIMETYPE in output.get("data", {}):
                found[index] = output["data"][RECORD_MIMETYPE]
    return found


def small_notebook(path: Path) -> Path:
    """A parameter, the notebook's default site (leonardo), a cell tagged lumi."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["dask-sites"] = {"site": "leonardo"}
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_code_cell("n = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(WHERE),
        nbformat.v4.new_code_cell(WHERE, metadata={"dask-sites": {"site": "lumi"}}),
    ]
    nbformat.write(notebook, path)
    return path


def result(notebook, index: int) -> str:
    outputs = [o for o in notebook.cells[index].outputs if o.output_type == "execute_result"]
    return outputs[0].data["text/plain"] if outputs else ""


def test_the_flood_notebook_runs_with_its_tag_after_one_device_login(environment, tmp_path):
    output = tmp_path / "flood.out.ipynb"
    ran = run(
        [str(BIN / "dask-sites"), "run", str(EXAMPLES / "flood.ipynb"), "-o", str(output)],
        environment,
        tmp_path,
    )
    assert ran.code == 0, ran.stderr
    # One login for the three sites of the one issuer, asked once.
    assert ran.prompts == ["Central (Warsaw), LUMI bridge (Kajaani), LEONARDO bridge (Bologna)"]
    executed = nbformat.read(output, as_version=4)
    tagged = next(
        i
        for i, c in enumerate(executed.cells)
        if c.metadata.get("dask-sites") == {"site": "central"}
    )
    found = records(executed)
    assert found[tagged]["route"] == "central" and found[tagged]["source"] == "cell metadata"
    # The untagged cells went where their data is, lumi's rainfall among them.
    assert {"central", "lumi"} <= {site for r in found.values() for site in r["sites"]}
    # No token in what was written.
    assert "eyJ" not in output.read_text()
    # Nor object-store keys (temporary ones start ASIA, as on AWS).
    assert re.search(r"ASIA[A-Z0-9]{16}", output.read_text()) is None


@pytest.mark.parametrize("name", ["drought", "pangeo_histogram"])
def test_the_other_examples_run_on_the_kept_login(environment, tmp_path, name):
    output = tmp_path / f"{name}.out.ipynb"
    ran = run(
        [str(BIN / "dask-sites"), "run", str(EXAMPLES / f"{name}.ipynb"), "-o", str(output)],
        environment,
        tmp_path,
    )
    assert ran.code == 0, ran.stderr
    assert ran.prompts == []  # the sidecar kept the first run's login
    found = records(nbformat.read(output, as_version=4))
    assert found and all(r["sites"] for r in found.values()), found


def test_parameters_the_notebook_default_and_a_tag(environment, tmp_path):
    source = small_notebook(tmp_path / "small.ipynb")
    ran = run([str(BIN / "dask-sites"), "run", str(source), "-p", "n", "5"], environment, tmp_path)
    assert ran.code == 0, ran.stderr
    executed = nbformat.read(tmp_path / "small.out.ipynb", as_version=4)
    assert executed.cells[1].metadata["tags"] == ["injected-parameters"]
    assert executed.cells[1].source == "n = 5"
    assert result(executed, 2) == "('leonardo', 10)"  # the notebook's default
    assert result(executed, 3) == "('lumi', 10)"  # the cell's tag
    assert records(executed)[3]["source"] == "cell metadata"


def test_papermill_with_the_dask_sites_engine(environment, tmp_path):
    source = small_notebook(tmp_path / "small.ipynb")
    output = tmp_path / "papermill.ipynb"
    ran = run(
        [
            str(BIN / "papermill"),
            "--engine",
            "dask-sites",
            str(source),
            str(output),
            "-p",
            "n",
            "4",
        ],
        environment,
        tmp_path,
    )
    assert ran.code == 0, ran.stderr
    executed = nbformat.read(output, as_version=4)
    texts = [result(executed, i) for i in range(len(executed.cells))]
    assert "('leonardo', 8)" in texts and "('lumi', 8)" in texts, texts


def test_a_failing_cell_keeps_what_ran_and_says_so(environment, tmp_path):
    source = small_notebook(tmp_path / "small.ipynb")
    notebook = nbformat.read(source, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("1 / 0"))
    nbformat.write(notebook, source)
    ran = run([str(BIN / "dask-sites"), "run", str(source)], environment, tmp_path)
    assert ran.code == 1
    assert "a cell failed (ZeroDivisionError: division by zero)" in ran.stderr
    executed = nbformat.read(tmp_path / "small.out.ipynb", as_version=4)
    assert result(executed, 1) == "('leonardo', 2)"  # the cells before it ran and were kept
    assert executed.cells[-1].outputs[0].output_type == "error"


def test_without_a_registry_it_says_what_to_pass(tmp_path):
    source = small_notebook(tmp_path / "small.ipynb")
    env = {k: v for k, v in os.environ.items() if k != "DASK_SITES_REGISTRY"}
    ran = subprocess.run(
        [str(BIN / "dask-sites"), "run", str(source)], capture_output=True, text=True, env=env
    )
    assert ran.returncode == 2
    assert "no site registry: pass --registry FILE (or set $DASK_SITES_REGISTRY)" in ran.stderr
    assert not (tmp_path / "small.out.ipynb").exists()
