"""The testbed's sites and test users, modelled on the DestinE Data Lake."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SiteSpec:
    name: str
    label: str
    colour: str


SITES: dict[str, SiteSpec] = {
    spec.name: spec
    for spec in (
        SiteSpec("central", "Central (Warsaw)", "#1f77b4"),
        SiteSpec("lumi", "LUMI bridge (Kajaani)", "#d62728"),
        SiteSpec("leonardo", "LEONARDO bridge (Bologna)", "#2ca02c"),
    )
}


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a pytest class

    username: str
    password: str
    name: str
    email: str
    groups: tuple[str, ...]


# Local, throwaway credentials of the testbed issuer; printed by `testbed up`.
USERS: tuple[TestUser, ...] = (
    TestUser("alice", "alice-dask-sites", "Alice Example", "alice@example.org", ("scientists",)),
    TestUser("bob", "bob-dask-sites", "Bob Example", "bob@example.org", ("scientists",)),
)

CLIENT_ID = "dask-sites"
GATEWAY_RESOURCE = "urn:dask-sites:gateway"
GATEWAY_AUDIENCE = "dask-gateway"
GATEWAY_SCOPE = "gateway"


def parse_site_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SITES]
    if unknown or not names:
        raise ValueError(
            f"unknown testbed site(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(SITES)}"
        )
    return list(dict.fromkeys(names))
