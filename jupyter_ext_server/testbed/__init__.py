"""Real Dask Sites on one machine: an OIDC issuer, a Dask Gateway and an object store per site."""

from .sites import SITES, USERS
from .testbed import Testbed, TestbedInfo, describe, read_state

__all__ = ["SITES", "USERS", "Testbed", "TestbedInfo", "describe", "read_state"]
