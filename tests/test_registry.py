"""Site registry validation: errors name the site and the field."""

from __future__ import annotations

import copy
import json

import pytest

from jupyter_ext_server.registry import RegistryError, load_registry, validate_registry

GOOD = {
    "version": 1,
    "sites": [
        {
            "name": "central",
            "label": "Central (Warsaw)",
            "colour": "#1f77b4",
            "gateway": {"address": "https://gateway.central.example.org"},
            "auth": {
                "type": "oidc",
                "issuer": "https://login.example.org",
                "client_id": "dask-sites",
            },
            "data": {"patterns": ["s3://central-*/**"]},
        },
        {
            "name": "lumi",
            "label": "LUMI",
            "gateway": {"address": "http://127.0.0.1:8001"},
            "auth": {"type": "none"},
        },
    ],
}


def broken(mutate) -> dict:
    document = copy.deepcopy(GOOD)
    mutate(document)
    return document


def test_valid_registry_passes():
    assert validate_registry(copy.deepcopy(GOOD))["sites"][0]["name"] == "central"


def test_the_silent_first_attempt_can_be_turned_off():
    document = copy.deepcopy(GOOD)
    document["sites"][0]["auth"].update(flow="code", silent_first=False)
    assert validate_registry(document)["sites"][0]["auth"]["silent_first"] is False


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (
            lambda d: d["sites"][1]["gateway"].update(address="not a url"),
            'site "lumi": gateway.address:',
        ),
        (lambda d: d["sites"][0].pop("label"), 'site "central": (document)'),
        (lambda d: d["sites"][0].update(colour="blue"), 'site "central": colour:'),
        (lambda d: d["sites"][0]["auth"].pop("client_id"), 'site "central": auth:'),
        (lambda d: d["sites"][1].update(name="Bad Name"), 'site "Bad Name": name:'),
        (lambda d: d["sites"][1].update(name="central"), 'site "central": name: used by more'),
        (lambda d: d.update(version=2), "registry: version:"),
        (lambda d: d["sites"][0].update(colour=7, gatway={}), 'site "central": colour'),
        (
            lambda d: d["sites"][0]["auth"].update(silent_first="no"),
            "site \"central\": auth.silent_first: 'no' is not of type 'boolean'",
        ),
    ],
)
def test_errors_name_the_site_and_field(mutate, expected):
    with pytest.raises(RegistryError) as raised:
        validate_registry(broken(mutate))
    assert expected in str(raised.value)


def test_missing_label_message_names_the_property():
    with pytest.raises(RegistryError, match="'label' is a required property"):
        validate_registry(broken(lambda d: d["sites"][0].pop("label")))


def test_load_registry_reports_unreadable_files(tmp_path):
    with pytest.raises(RegistryError, match="does not exist"):
        load_registry(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(RegistryError, match="not valid JSON"):
        load_registry(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    assert len(load_registry(good)["sites"]) == 2


STS = {
    "type": "sts-web-identity",
    "endpoint": "https://s3.central.example.org",
    "role": "arn:aws:iam:::role/dedl-users",
    "duration": 900,
}


@pytest.mark.parametrize("credentials", [STS, {"type": "anonymous"}, {"type": "environment"}])
def test_storage_credentials_types(credentials):
    document = broken(lambda d: d["sites"][0]["data"].update(credentials=credentials))
    assert validate_registry(document)["sites"][0]["data"]["credentials"] == credentials


@pytest.mark.parametrize(
    "credentials, expected",
    [
        ({**STS, "role": "dedl-users"}, 'site "central": data.credentials'),
        ({**STS, "duration": 5}, 'site "central": data.credentials'),
        ({**STS, "endpoint": "file:///etc/passwd"}, 'site "central": data.credentials'),
        ({"type": "keys", "key": "AKIA..."}, 'site "central": data.credentials'),
        (
            {**STS, "endpoint": "http://169.254.169.254/"},
            'site "central": data.credentials.endpoint: 169.254.169.254 is a link-local',
        ),
    ],
)
def test_storage_credentials_errors_name_the_field(credentials, expected):
    document = broken(lambda d: d["sites"][0]["data"].update(credentials=credentials))
    with pytest.raises(RegistryError, match=expected):
        validate_registry(document)


def test_sts_keys_need_an_oidc_login():
    document = broken(lambda d: d["sites"][1].update(data={"credentials": STS}))
    with pytest.raises(RegistryError) as err:
        validate_registry(document)
    assert 'site "lumi": data.credentials: sts-web-identity needs auth.type "oidc"' in str(
        err.value
    )
