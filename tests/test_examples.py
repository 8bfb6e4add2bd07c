"""The demo notebooks in ``examples/`` run headlessly on the real testbed and get the right answers.

Each notebook runs with nbclient in a fresh ``python3`` kernel started the way
a Jupyter server with Dask Sites starts one (``--ext=dask_sites``), with the
environment the sidecar gives kernels. nbclient sends no cell metadata with
``execute_request``; JupyterLab sends the cell's metadata there, and that is
where Dask Sites reads a cell's site tag, so the product's own
``SiteTaggedClient`` (what ``dask-sites run`` uses) does the same.

After the notebook's own cells, one cell of ours prints its results as JSON;
they are checked against the same analysis done here with numpy on the data
the testbed's generators build (deterministically, as the sites hold it).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from jupyter_ext_server.runner import SiteTaggedClient
from jupyter_ext_server.testbed import datasets, tables
from support.kernels import RECORD_MIMETYPE, kernel_environment

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = ("flood", "drought", "pangeo_histogram")
RESULTS_MARKER = "dask-sites-test-results:"


class Ran:
    """An executed notebook: its cells by id, what our last cell reported, how long it took."""

    def __init__(self, notebook, results: dict, seconds: float):
        self.notebook = notebook
        self.results = results
        self.seconds = seconds
        self.cells = {cell.id: cell for cell in notebook.cells}

    def outputs(self, cell_id: str) -> list:
        return self.cells[cell_id].outputs

    def record(self, cell_id: str) -> dict | None:
        records = [
            o.data[RECORD_MIMETYPE]
            for o in self.outputs(cell_id)
            if o.output_type == "display_data" and RECORD_MIMETYPE in o.data
        ]
        assert len(records) <= 1, f"cell {cell_id} published {len(records)} records"
        return records[0] if records else None

    def text(self, cell_id: str) -> str:
        parts = []
        for output in self.outputs(cell_id):
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                parts.append(output.data.get("text/plain", ""))
        return "\n".join(parts)

    def images(self, cell_id: str) -> int:
        return sum(1 for o in self.outputs(cell_id) if "image/png" in o.get("data", {}))


def run_notebook(name: str, sidecar, results: dict[str, str]) -> Ran:
    """Run ``examples/<name>.ipynb`` and then print ``results`` (name: expression) as JSON."""
    notebook = nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)
    report = ", ".join(
        f"{key!r}: np.asarray({expression}).tolist()" for key, expression in results.items()
    )
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            f"import json\nprint({RESULTS_MARKER!r} + json.dumps({{{report}}}))", id="test-results"
        )
    )
    client = SiteTaggedClient(
        notebook,
        timeout=180,
        startup_timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    started = time.monotonic()
    client.execute(env=kernel_environment(sidecar))
    seconds = time.monotonic() - started
    printed = "".join(o.text for o in notebook.cells[-1].outputs if o.output_type == "stream")
    payload = printed.split(RESULTS_MARKER, 1)[1]
    return Ran(notebook, {k: np.asarray(v) for k, v in json.loads(payload).items()}, seconds)


def block_mean(values: np.ndarray, factor: int) -> np.ndarray:
    """Mean over ``factor`` × ``factor`` blocks of the last two axes."""
    *lead, ny, nx = values.shape
    return values.reshape(*lead, ny // factor, factor, nx // factor, factor).mean(axis=(-3, -1))


def input_bytes(*arrays) -> int:
    return sum(a.nbytes for a in arrays)


def assert_site_cell(ran: Ran, cell_id: str, sites: list[str], source: str, route: str | None):
    record = ran.record(cell_id)
    assert record is not None, f"cell {cell_id} ran nothing at a site: {ran.text(cell_id)}"
    assert sorted(record["sites"]) == sorted(sites), record
    assert record["source"] == source and record["route"] == route, record
    return record


# -- the notebooks as saved ----------------------------------------------------------


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_saved_without_outputs(name):
    notebook = nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
    assert "dask_sites.open_zarr" in "".join(c.source for c in notebook.cells)


# -- the notebooks, run ------------------------------------------------------------------


@pytest.mark.integration
def test_flood_notebook(routing_sidecar, testbed):
    ran = run_notebook(
        "flood",
        routing_sidecar,
        {
            "flooded": "flooded_map",
            "built": "built_map",
            "exposed": "exposed_map",
            "rain": "rain_map",
            "sindh": "sindh_series",
            "correlation": "correlation",
            "flooded_rain": "flooded_rain",
        },
    )
    flood = datasets.flood_extent(testbed.size).flood_extent.values.astype("f8")
    built = datasets.built_up(testbed.size).built_up.values.astype("f8")
    rain = datasets.rainfall(testbed.size).tp
    cells = math.gcd(flood.shape[0], rain.shape[1])
    factor, rain_factor = flood.shape[0] // cells, rain.shape[1] // cells

    flooded = block_mean(flood, factor)
    np.testing.assert_allclose(ran.results["flooded"], flooded, rtol=1e-6)
    np.testing.assert_allclose(ran.results["built"], block_mean(built, factor), rtol=1e-5)
    np.testing.assert_allclose(
        ran.results["exposed"], block_mean(flood * built, factor), rtol=1e-5, atol=1e-9
    )
    days = rain.time.dt.day.values
    monsoon = rain.values.astype("f8")[(days >= 18) & (days <= 30)]
    total = block_mean(monsoon.sum(axis=0), rain_factor)
    np.testing.assert_allclose(ran.results["rain"], total, rtol=1e-5)
    in_sindh = np.ix_(
        (rain.lat.values >= 24) & (rain.lat.values <= 28.5),
        (rain.lon.values >= 66.5) & (rain.lon.values <= 71),
    )
    sindh = np.array([day[in_sindh].mean() for day in rain.values.astype("f8")])
    np.testing.assert_allclose(ran.results["sindh"], sindh, rtol=1e-5)
    assert float(ran.results["correlation"]) == pytest.approx(
        np.corrcoef(flooded.ravel(), total.ravel())[0, 1], rel=1e-5
    )
    assert float(ran.results["flooded_rain"]) == pytest.approx(
        (total * flooded).sum() / flooded.sum(), rel=1e-5
    )

    # Where the work ran: the tag, then the data's own sites, then both at once.
    assert_site_cell(ran, "central", ["central"], "cell metadata", "central")
    assert_site_cell(ran, "lumi", ["lumi"], "data location", None)
    assert "split across 2 sites" in ran.text("explain")
    split = assert_site_cell(ran, "split", ["central", "lumi"], "data location", None)
    # Only the reduced maps came back (a few cells × cells maps), not the raster and the cube.
    inputs = input_bytes(datasets.flood_extent(testbed.size).flood_extent, rain)
    assert 0 < split["bytesBack"] <= 4 * cells * cells * 8, split
    assert split["bytesBack"] < inputs / 5, split
    for cell_id in ("maps", "series", "scatter"):
        assert ran.images(cell_id) == 1, cell_id
        assert ran.record(cell_id) is None, f"{cell_id} plots local results, at no site"
    print(f"flood.ipynb ran in {ran.seconds:.1f} s")


@pytest.mark.integration
def test_drought_notebook(routing_sidecar, testbed):
    ran = run_notebook(
        "drought",
        routing_sidecar,
        {
            "observed": "observed_series",
            "modelled": "modelled_series",
            "modelled_end": "modelled_end",
            "majority": "majority",
            "class_share": "class_share",
            "table_classes": "list(table.index)",
            "table_mean": "table['mean']",
            "stations": "list(summer.index)",
            "station_means": "summer.iloc[:, 0]",
            "station_totals": "summer.iloc[:, 1]",
        },
    )

    def normalised_fortnights(values: np.ndarray) -> np.ndarray:
        periods = values.shape[0] // 15
        days = values[: periods * 15].astype("f8")
        means = days.reshape(periods, 15, *values.shape[1:]).mean(axis=1)
        return means / means[0]

    observed = normalised_fortnights(datasets.soil_moisture(testbed.size).swvl1.values)
    modelled = normalised_fortnights(datasets.soil_water(testbed.size).swvl1.values)
    np.testing.assert_allclose(ran.results["observed"], observed.mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(ran.results["modelled"], modelled.mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(ran.results["modelled_end"], modelled[-1], rtol=1e-5)

    cover = datasets.land_cover(testbed.size).land_cover.values
    codes = sorted(datasets.LAND_COVER_CLASSES)
    block = cover.shape[0] // modelled.shape[1]
    shares = np.stack([block_mean((cover == code).astype("f8"), block) for code in codes])
    majority = np.array(codes)[shares.argmax(axis=0)]
    np.testing.assert_array_equal(ran.results["majority"], majority)
    np.testing.assert_allclose(ran.results["class_share"], shares.mean(axis=(1, 2)), rtol=1e-9)
    # The comparison: mean drying per main land cover, driest first.
    names = {code: name.replace(" ", "_") for code, name in datasets.LAND_COVER_CLASSES.items()}
    expected = {
        names[c]: modelled[-1][majority == c].mean() for c in codes if (majority == c).any()
    }
    table = dict(zip(ran.results["table_classes"].tolist(), ran.results["table_mean"].tolist()))
    assert table == pytest.approx(expected, rel=1e-5)
    assert list(table) == sorted(expected, key=expected.get)
    assert table["arable_land"] < table["forests"]  # the plain dried out more than the mountains

    assert "logged-in as alice" in ran.text("sites")
    both = assert_site_cell(ran, "fortnights", ["leonardo", "lumi"], "data location", None)
    soil_bytes = input_bytes(
        datasets.soil_moisture(testbed.size).swvl1, datasets.soil_water(testbed.size).swvl1
    )
    assert 0 < both["bytesBack"] < soil_bytes / 20, both
    assert_site_cell(ran, "cover", ["central"], "cell magic", "central")
    for cell_id in ("series-plot", "compare-plot"):
        assert ran.images(cell_id) == 1, cell_id
    assert ran.record("compare") is None

    # Two sites' station tables, aggregated per station where they live.
    two_sites = [t for t in tables.TABLES if t.site in ("leonardo", "lumi")]
    rows = pd.concat([tables.observations(t) for t in two_sites])
    summer = rows.groupby("station").agg({"temperature": "mean", "precipitation": "sum"})
    summer = summer.sort_values("temperature", ascending=False)
    assert ran.results["stations"].tolist() == list(summer.index)
    np.testing.assert_allclose(ran.results["station_means"], summer.temperature, rtol=1e-9)
    np.testing.assert_allclose(ran.results["station_totals"], summer.precipitation, rtol=1e-9)
    split = assert_site_cell(ran, "stations", ["leonardo", "lumi"], "data location", None)
    # One partial per site came here (a row per station), not the tables' 861 rows.
    assert [hop["from"] for hop in split["hops"]] == ["leonardo", "lumi"], split
    assert all(0 < hop["bytes"] < 5_000 for hop in split["hops"]), split
    assert split["bytesBack"] < rows.memory_usage(deep=True).sum() / 4, split
    print(f"drought.ipynb ran in {ran.seconds:.1f} s")


@pytest.mark.integration
def test_pangeo_histogram_notebook(routing_sidecar, testbed):
    ran = run_notebook(
        "pangeo_histogram",
        routing_sidecar,
        {"edges": "edges", "pakistan": "pakistan_hist", "po_valley": "po_valley_hist"},
    )
    edges = ran.results["edges"]
    assert edges[0] == 0 and edges[-1] == pytest.approx(1000)
    pakistan = datasets.rainfall(testbed.size).tp
    po_valley = datasets.po_rainfall(testbed.size).tp
    for name, data in {"pakistan": pakistan, "po_valley": po_valley}.items():
        np.testing.assert_array_equal(ran.results[name], np.histogram(data.values, bins=edges)[0])

    assert "split across 2 sites" in ran.text("bins")
    record = assert_site_cell(ran, "compute", ["lumi", "leonardo"], "data location", None)
    # Each site sent back its histogram: a few hundred bytes, against the cubes it read.
    for run in record["runs"]:
        if run["site"] != "local":
            assert 0 < run["bytes_back"] < 1_000, record
    assert record["bytesBack"] < input_bytes(pakistan, po_valley) / 100
    assert ran.images("plot") == 1
    print(f"pangeo_histogram.ipynb ran in {ran.seconds:.1f} s")
