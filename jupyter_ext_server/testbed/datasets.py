"""Deterministic synthetic datasets in the style of the DEDL use cases, written as Zarr.

Each dataset belongs to one site and is written to that site's own object
store. Values are synthetic but shaped like the real inputs:

- flood (Pakistan 2022): a flood extent and a built-up fraction (central),
  daily rainfall in August 2022 (lumi);
- drought (Po valley 2022): daily soil moisture (leonardo), ERA5-Land soil
  water on a coarser grid (lumi), land cover classes (central);
- a second precipitation cube, Po valley in August 2022 (leonardo), for the
  same histogram at two sites.

Bucket names start with the site's name: the testbed registry's data
patterns are ``s3://<site>-*/**``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from .tables import write_site_tables

# Pixels per side of the rasters and grid points per side of the cubes.
SIZES = {
    "small": {"raster": 256, "cube": 32, "chunk": 128},
    "medium": {"raster": 6144, "cube": 480, "chunk": 1024},
}

PAKISTAN = {"lat": (24.0, 30.0), "lon": (66.0, 72.0)}
PO_VALLEY = {"lat": (44.0, 46.0), "lon": (7.0, 13.0)}


@dataclass(frozen=True)
class DatasetSpec:
    site: str
    bucket: str
    key: str
    description: str
    build: Callable[[str], xr.Dataset]

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def _grid(box: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    step_lat = (box["lat"][1] - box["lat"][0]) / n
    step_lon = (box["lon"][1] - box["lon"][0]) / n
    lat = box["lat"][1] - step_lat * (np.arange(n) + 0.5)  # north to south, like rasters
    lon = box["lon"][0] + step_lon * (np.arange(n) + 0.5)
    return lat, lon


def _smooth_field(rng: np.random.Generator, shape: tuple[int, ...], blobs: int) -> np.ndarray:
    """A sum of Gaussian blobs in [0, 1]: spatially coherent, cheap, deterministic."""
    ny, nx = shape[-2:]
    y = np.linspace(0, 1, ny, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, nx, dtype=np.float32)[None, :]
    field = np.zeros((ny, nx), dtype=np.float32)
    for cy, cx, width, weight in rng.random((blobs, 4)):
        width = 0.03 + 0.15 * width
        field += weight * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * width**2))
    return field / max(float(field.max()), 1e-6)


def _site_attrs(site: str, title: str) -> dict:
    # `location` is the DEDL notebooks' convention for where data lives.
    return {"location": site, "title": title, "source": "Dask Sites testbed (synthetic)"}


def flood_extent(size: str) -> xr.Dataset:
    n, chunk = SIZES[size]["raster"], SIZES[size]["chunk"]
    rng = np.random.default_rng(2022_08_30)
    lat, lon = _grid(PAKISTAN, n)
    water = (_smooth_field(rng, (n, n), 12) > 0.45).astype("uint8")
    ds = xr.Dataset(
        {"flood_extent": (("lat", "lon"), water, {"units": "1", "long_name": "observed flood"})},
        coords={"lat": lat, "lon": lon},
        attrs=_site_attrs("central", "GFM flood extent, Pakistan, 30 Aug 2022"),
    )
    return ds.chunk({"lat": chunk, "lon": chunk})


def built_up(size: str) -> xr.Dataset:
    n, chunk = SIZES[size]["raster"], SIZES[size]["chunk"]
    rng = np.random.default_rng(2018)
    lat, lon = _grid(PAKISTAN, n)
    fraction = (_smooth_field(rng, (n, n), 40) ** 3).astype("float32")
    ds = xr.Dataset(
        {"built_up": (("lat", "lon"), fraction, {"units": "1", "long_name": "built-up fraction"})},
        coords={"lat": lat, "lon": lon},
        attrs=_site_attrs("central", "GHS built-up surface fraction, Pakistan"),
    )
    return ds.chunk({"lat": chunk, "lon": chunk})


def rainfall(size: str) -> xr.Dataset:
    n = SIZES[size]["cube"]
    rng = np.random.default_rng(5)
    lat, lon = _grid(PAKISTAN, n)
    time = pd.date_range("2022-08-01", "2022-08-31", freq="D")
    base = _smooth_field(rng, (n, n), 6)
    # Monsoon peak in the last third of August.
    peak = np.exp(-(((np.arange(time.size) - 24) / 5.0) ** 2))[:, None, None]
    noise = rng.gamma(2.0, 1.0, (time.size, n, n)).astype("float32")
    rain = (noise * (2 + 40 * base[None] * peak)).astype("float32")
    ds = xr.Dataset(
        {"tp": (("time", "lat", "lon"), rain, {"units": "mm/day", "long_name": "precipitation"})},
        coords={"time": time, "lat": lat, "lon": lon},
        attrs=_site_attrs("lumi", "ERA5-Land daily precipitation, Pakistan, Aug 2022"),
    )
    return ds.chunk({"time": 8, "lat": n, "lon": n})


def soil_moisture(size: str) -> xr.Dataset:
    n = SIZES[size]["cube"]
    rng = np.random.default_rng(2022_07)
    lat, lon = _grid(PO_VALLEY, n)
    time = pd.date_range("2022-06-01", "2022-08-31", freq="D")
    base = 0.15 + 0.2 * _smooth_field(rng, (n, n), 8)
    drying = np.linspace(1.0, 0.55, time.size, dtype="float32")[:, None, None]
    noise = rng.normal(0, 0.01, (time.size, n, n)).astype("float32")
    sm = np.clip(base[None] * drying + noise, 0.02, 0.5).astype("float32")
    ds = xr.Dataset(
        {"swvl1": (("time", "lat", "lon"), sm, {"units": "m3/m3", "long_name": "soil water"})},
        coords={"time": time, "lat": lat, "lon": lon},
        attrs=_site_attrs("leonardo", "Soil moisture, Po valley, summer 2022"),
    )
    return ds.chunk({"time": 15, "lat": n, "lon": n})


def _po_plain(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """About 1 on the Po plain, 0 on the Alps (north, west) and the Apennines (south)."""
    y = (lat - PO_VALLEY["lat"][0]) / (PO_VALLEY["lat"][1] - PO_VALLEY["lat"][0])
    x = (lon - PO_VALLEY["lon"][0]) / (PO_VALLEY["lon"][1] - PO_VALLEY["lon"][0])

    def rise(v):
        return 1 / (1 + np.exp(-v / 0.03))

    return (rise(0.8 - y) * rise(y - 0.12))[:, None] * rise(x - 0.08)[None, :]


def soil_water(size: str) -> xr.Dataset:
    """ERA5-Land volumetric soil water (layer 1): the model's view, on a grid half as fine.

    The irrigated plain dries out more than the mountains around it.
    """
    n = max(SIZES[size]["cube"] // 2, 2)
    rng = np.random.default_rng(2022_06)
    lat, lon = _grid(PO_VALLEY, n)
    time = pd.date_range("2022-06-01", "2022-08-31", freq="D")
    base = (0.2 + 0.15 * _smooth_field(rng, (n, n), 5))[None]
    days = np.arange(time.size, dtype="float32")
    # Steady drying with a July heat wave and a little relief from mid-August storms.
    dried = (
        days / days[-1]
        + 0.2 * np.exp(-(((days - 45) / 8.0) ** 2))
        - 0.12 * np.exp(-(((days - 76) / 4.0) ** 2))
    )[:, None, None]
    depth = (0.25 + 0.3 * _po_plain(lat, lon)).astype("float32")[None]
    noise = rng.normal(0, 0.006, (time.size, n, n)).astype("float32")
    sw = np.clip(base * (1 - depth * dried) + noise, 0.02, 0.5).astype("float32")
    ds = xr.Dataset(
        {
            "swvl1": (
                ("time", "lat", "lon"),
                sw,
                {"units": "m3/m3", "long_name": "volumetric soil water layer 1"},
            )
        },
        coords={"time": time, "lat": lat, "lon": lon},
        attrs=_site_attrs("lumi", "ERA5-Land soil water, Po valley, summer 2022"),
    )
    return ds.chunk({"time": 31, "lat": n, "lon": n})


#: CORINE Land Cover level-2 classes used by ``land_cover`` (code: name).
LAND_COVER_CLASSES = {
    11: "urban fabric",
    21: "arable land",
    22: "permanent crops",
    23: "pastures",
    31: "forests",
    51: "inland waters",
}


def land_cover(size: str) -> xr.Dataset:
    """Land cover classes on a raster 8 times finer than the soil-moisture cube."""
    n, chunk = SIZES[size]["cube"] * 8, SIZES[size]["chunk"]
    rng = np.random.default_rng(2018_12)
    lat, lon = _grid(PO_VALLEY, n)
    y = ((lat - PO_VALLEY["lat"][0]) / (PO_VALLEY["lat"][1] - PO_VALLEY["lat"][0]))[:, None]
    x = ((lon - PO_VALLEY["lon"][0]) / (PO_VALLEY["lon"][1] - PO_VALLEY["lon"][0]))[None, :]
    wobble = _smooth_field(rng, (n, n), 10) - 0.5
    # Alps in the north and west, Apennines in the south; the plain in between.
    mountains = (y + 0.15 * wobble > 0.8) | (x + 0.1 * wobble < 0.08) | (y - 0.1 * wobble < 0.12)
    slopes = ~mountains & ((y + 0.15 * wobble > 0.68) | (y - 0.1 * wobble < 0.24))
    river = np.abs(y - 0.5 - 0.05 * np.sin(9 * x) - 0.04 * wobble) < 0.012
    towns = _smooth_field(rng, (n, n), 25) > 0.72
    pasture = _smooth_field(rng, (n, n), 15) > 0.35
    classes = np.full((n, n), 21, dtype="uint8")  # arable land (rice, maize) fills the plain
    classes[slopes] = 22
    classes[mountains & pasture] = 23
    classes[mountains & ~pasture] = 31
    classes[towns & ~mountains] = 11
    classes[river] = 51
    codes = sorted(LAND_COVER_CLASSES)
    ds = xr.Dataset(
        {
            "land_cover": (
                ("lat", "lon"),
                classes,
                {
                    "long_name": "CORINE land cover class (level 2)",
                    "flag_values": codes,
                    "flag_meanings": " ".join(
                        LAND_COVER_CLASSES[c].replace(" ", "_") for c in codes
                    ),
                },
            )
        },
        coords={"lat": lat, "lon": lon},
        attrs=_site_attrs("central", "CORINE land cover, Po valley, 2018"),
    )
    return ds.chunk({"lat": chunk, "lon": chunk})


def po_rainfall(size: str) -> xr.Dataset:
    """Daily precipitation over the Po valley in August 2022: a dry month, a few storms."""
    n = SIZES[size]["cube"]
    rng = np.random.default_rng(2022_08)
    lat, lon = _grid(PO_VALLEY, n)
    time = pd.date_range("2022-08-01", "2022-08-31", freq="D")
    relief = _smooth_field(rng, (n, n), 6)  # more rain on the mountain edges
    storms = (rng.random(time.size) < 0.25).astype("float32")[:, None, None]
    noise = rng.gamma(0.6, 1.0, (time.size, n, n)).astype("float32")
    rain = (noise * (0.3 + 6 * storms * (0.3 + relief[None]))).astype("float32")
    ds = xr.Dataset(
        {"tp": (("time", "lat", "lon"), rain, {"units": "mm/day", "long_name": "precipitation"})},
        coords={"time": time, "lat": lat, "lon": lon},
        attrs=_site_attrs("leonardo", "ERA5-Land daily precipitation, Po valley, Aug 2022"),
    )
    return ds.chunk({"time": 8, "lat": n, "lon": n})


DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec("central", "central-gfm", "flood_extent.zarr", "GFM flood extent", flood_extent),
    DatasetSpec("central", "central-ghsl", "built_up.zarr", "GHS built-up fraction", built_up),
    DatasetSpec("lumi", "lumi-era5", "rainfall.zarr", "ERA5-Land daily rainfall", rainfall),
    DatasetSpec("leonardo", "leonardo-era5", "soil_moisture.zarr", "soil moisture", soil_moisture),
    # The drought case (Po valley) and the two-site histogram.
    DatasetSpec(
        "central", "central-clc", "land_cover.zarr", "CORINE land cover, Po valley", land_cover
    ),
    DatasetSpec(
        "lumi", "lumi-era5", "soil_water.zarr", "ERA5-Land soil water, Po valley", soil_water
    ),
    DatasetSpec(
        "leonardo",
        "leonardo-era5",
        "rainfall.zarr",
        "ERA5-Land daily rainfall, Po valley",
        po_rainfall,
    ),
)


def datasets_of(site: str) -> list[DatasetSpec]:
    return [d for d in DATASETS if d.site == site]


def storage_options(endpoint: str, keys: dict) -> dict:
    """fsspec options for a testbed object store with a key it knows (``key``, ``secret``)."""
    return {
        "key": keys["key"],
        "secret": keys["secret"],
        "client_kwargs": {"endpoint_url": endpoint, "region_name": "eu-central-1"},
    }


def write_site_data(site: str, endpoint: str, size: str, keys: dict) -> list[str]:
    """Create the site's buckets and write its datasets with its writer key; returns their URLs."""
    import s3fs

    options = storage_options(endpoint, keys)
    fs = s3fs.S3FileSystem(skip_instance_cache=True, **options)
    urls = []
    for spec in datasets_of(site):
        if not fs.exists(spec.bucket):
            fs.mkdir(spec.bucket)
        spec.build(size).to_zarr(
            spec.url,
            mode="w",
            storage_options=options,
            consolidated=True,
            zarr_format=2,  # what the DEDL stores hold; consolidated metadata is standard there
        )
        urls.append(spec.url)
    return urls + write_site_tables(site, options)


def open_site_dataset(url: str, endpoint: str, keys: dict) -> xr.Dataset:
    """Open a testbed dataset lazily with a key the store knows."""
    return xr.open_zarr(url, storage_options=storage_options(endpoint, keys), consolidated=True)
