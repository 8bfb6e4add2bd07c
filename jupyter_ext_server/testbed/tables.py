"""Deterministic station-observation tables, one per site, written as Parquet.

Daily observations of a few weather stations near each site (May to
August 2022): ``station``, ``time``, ``temperature`` (°C) and
``precipitation`` (mm/day). Each table is a directory of Parquet files, one
per month, so a reader gets several partitions. Sites hold different numbers
of stations, so a mean over both sites is not the mean of the two sites'
means (a test that the split combines sums and counts, not means).

Bucket names start with the site's name (the testbed registry's patterns are
``s3://<site>-*/**``). ``datasets.write_site_data`` calls ``write_site_tables``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MONTHS = ("2022-05", "2022-06", "2022-07", "2022-08")


@dataclass(frozen=True)
class TableSpec:
    site: str
    bucket: str
    key: str
    description: str
    #: ``(station, mean temperature °C, wet-day share)``.
    stations: tuple[tuple[str, float, float], ...]
    seed: int

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def build(self) -> pd.DataFrame:
        return observations(self)


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "central",
        "central-stations",
        "observations.parquet",
        "station observations, Poland",
        (("Warszawa", 18.5, 0.35), ("Kraków", 18.0, 0.4), ("Zakopane", 13.5, 0.5)),
        seed=52_2022,
    ),
    TableSpec(
        "lumi",
        "lumi-stations",
        "observations.parquet",
        "station observations, Finland",
        (
            ("Kajaani", 13.0, 0.4),
            ("Oulu", 13.5, 0.35),
            ("Sodankylä", 11.0, 0.45),
            ("Kuusamo", 11.5, 0.45),
            ("Helsinki", 15.5, 0.3),
        ),
        seed=64_2022,
    ),
    TableSpec(
        "leonardo",
        "leonardo-stations",
        "observations.parquet",
        "station observations, Po valley",
        (("Bologna", 24.5, 0.2), ("Torino", 22.5, 0.25)),
        seed=44_2022,
    ),
)


def tables_of(site: str) -> list[TableSpec]:
    return [t for t in TABLES if t.site == site]


def observations(spec: TableSpec) -> pd.DataFrame:
    """The table's rows: every station every day, a seasonal curve plus noise."""
    rng = np.random.default_rng(spec.seed)
    days = pd.date_range(f"{MONTHS[0]}-01", periods=123, freq="D")  # 1 May to 31 Aug
    season = 4.0 * np.sin(np.pi * np.arange(days.size) / days.size)  # warmest in July
    frames = []
    for station, mean, wet_share in spec.stations:
        wet = rng.random(days.size) < wet_share
        frames.append(
            pd.DataFrame(
                {
                    "station": station,
                    "time": days,
                    "temperature": np.round(mean - 2.0 + season + rng.normal(0, 2.5, days.size), 1),
                    "precipitation": np.round(wet * rng.gamma(1.2, 5.0, days.size), 1),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True).sort_values(["time", "station"])
    return table.reset_index(drop=True)


def write_site_tables(site: str, storage_options: dict) -> list[str]:
    """Create the site's table buckets and write its tables (a file per month);
    returns their URLs."""
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True, **storage_options)
    urls = []
    for spec in tables_of(site):
        if not fs.exists(spec.bucket):
            fs.mkdir(spec.bucket)
        table = spec.build()
        month = table["time"].dt.strftime("%Y-%m")
        for number, name in enumerate(MONTHS):
            with fs.open(f"{spec.bucket}/{spec.key}/part.{number}.parquet", "wb") as file:
                table[month == name].to_parquet(file, index=False)
        urls.append(spec.url)
    return urls
