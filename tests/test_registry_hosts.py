"""A registry may not point at link-local or cloud-metadata hosts (one list of cases, shared
with the sidecar's tests)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from jupyter_ext_server.registry import RegistryError, host_warnings, validate_registry
from jupyter_ext_server.registry.hosts import host_problem, host_warning

CASES = json.loads((Path(__file__).parent / "data" / "host-cases.json").read_text())

SITE = {
    "name": "lumi",
    "label": "LUMI",
    "gateway": {"address": "https://gateway.example.org"},
    "auth": {"type": "none"},
}


@pytest.mark.parametrize("url", CASES["refused"])
def test_link_local_and_metadata_hosts_are_refused(url):
    assert host_problem(url)


@pytest.mark.parametrize("url", CASES["warned"] + CASES["fine"])
def test_other_hosts_pass(url):
    assert host_problem(url) is None


@pytest.mark.parametrize("url", CASES["warned"])
def test_plain_http_to_another_machine_is_warned(url):
    assert "is not encrypted" in host_warning(url)


@pytest.mark.parametrize("url", CASES["fine"])
def test_encrypted_or_loopback_needs_no_warning(url):
    assert host_warning(url) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (("gateway", "address"), "http://169.254.169.254/"),
        (("gateway", "public_address"), "http://metadata.google.internal/"),
        (("data", "storage_endpoints"), ["http://user@169.254.169.254:9000"]),
    ],
)
def test_a_registry_naming_one_is_refused_unless_the_server_allows_it(field, value):
    site = copy.deepcopy(SITE)
    site.setdefault(field[0], {})[field[1]] = value
    document = {"version": 1, "sites": [site]}
    with pytest.raises(RegistryError) as refused:
        validate_registry(document)
    assert f'site "lumi": {field[0]}.{field[1]}' in str(refused.value)
    assert "c.DaskSites.allow_link_local_hosts" in str(refused.value)
    assert validate_registry(document, allow_link_local_hosts=True) is document


def test_warnings_name_the_site_and_field():
    site = copy.deepcopy(SITE)
    site["gateway"]["address"] = "http://gateway.example.org:8000"
    assert host_warnings({"version": 1, "sites": [site]}) == [
        'site "lumi": gateway.address: http://gateway.example.org:8000 is not encrypted '
        "(http://) and reaches another machine"
    ]
