"""Object-store keys without a testbed: the key store's renewal rules, which store
a URL reaches with which keys, and the registry's malformed entries. (The real
stores, sidecar, kernels and workers are in ``test_storage_keys.py``.)"""

from __future__ import annotations

import time

import pytest

from jupyter_ext_server.kernel.catalogue import SiteCatalogue, SiteData
from jupyter_ext_server.registry import RegistryError, validate_registry
from jupyter_ext_server.storage.filesystem import SiteS3FileSystem
from jupyter_ext_server.storage.keys import KeyStore, StorageKeys, StorageKeysError
from jupyter_ext_server.storage.site_rules import STS, SiteStorage, site_storage_options

CENTRAL = SiteStorage("central", "http://127.0.0.1:9000", STS, "eu-central-1")


def keys(issued_ago: float, life: float, name: str = "A") -> StorageKeys:
    now = time.time()
    return StorageKeys(
        name, "secret-" + name, "token-" + name, now - issued_ago + life, now - issued_ago
    )


def test_keys_are_renewed_at_half_life_and_kept_while_the_sidecar_cannot_answer():
    store = KeyStore()
    answers = [keys(0, 100, "B")]

    def fetch(site):
        if not answers:
            raise StorageKeysError(f"{site}: no object-store keys: the sidecar is away")
        return answers.pop()

    store.fetch = fetch
    store.put("central", keys(10, 100, "A"))
    assert store.get("central").key == "A"  # less than half gone
    store.put("central", keys(60, 100, "A2"))  # the latest wins, even if it ends sooner
    assert store.get("central").key == "B"  # ... and past half its life: renewed
    store.forget()
    store.put("central", keys(60, 100, "C"))
    assert store.get("central").key == "C"  # renewal failed, the keys still work
    store.forget()
    store.put("central", keys(120, 100, "D"))
    with pytest.raises(StorageKeysError, match="sidecar is away"):
        store.get("central")  # expired: the failure is said


def test_a_worker_without_its_sites_keys_says_so():
    with pytest.raises(StorageKeysError, match="workers get only their own site's keys"):
        KeyStore().get("lumi")


def test_keys_never_show_in_a_repr():
    text = repr(keys(0, 100, "AKIAEXAMPLE"))
    assert "AKIAEXAMPLE" not in text and "secret-" not in text and "token-" not in text


@pytest.mark.parametrize(
    "options, credentials, endpoint",
    [
        ({}, STS, "http://127.0.0.1:9000"),
        ({"endpoint_url": "http://127.0.0.1:9000/"}, STS, "http://127.0.0.1:9000/"),
        # Another endpoint than the site's: the site's keys must not go there.
        ({"endpoint_url": "http://127.0.0.1:7000"}, "explicit", "http://127.0.0.1:7000"),
        ({"client_kwargs": {"endpoint_url": "http://mirror:1"}}, "explicit", None),
        ({"key": "k", "secret": "s"}, "explicit", None),
        ({"anon": False}, "explicit", None),
    ],
)
def test_which_keys_a_site_url_gets(options, credentials, endpoint):
    fs = SiteS3FileSystem(skip_instance_cache=True, **site_storage_options(CENTRAL), **options)
    assert fs.site_credentials == credentials
    assert fs.endpoint_url == endpoint
    if credentials == STS:
        assert fs.client_kwargs["region_name"] == "eu-central-1"


def test_anonymous_and_environment_sites_get_their_endpoint_and_no_fetched_keys():
    public = SiteStorage("public", "http://127.0.0.1:9100", "anonymous")
    fs = SiteS3FileSystem(skip_instance_cache=True, **site_storage_options(public))
    assert fs.anon is True and fs.site_credentials == "anonymous"
    assert fs.endpoint_url == "http://127.0.0.1:9100"
    own = SiteStorage("own", "http://127.0.0.1:9200", "environment")
    fs = SiteS3FileSystem(skip_instance_cache=True, **site_storage_options(own))
    assert fs.anon is False and fs.site_credentials == "environment"
    assert fs.endpoint_url == "http://127.0.0.1:9200"


def test_s3a_urls_belong_to_the_same_site():
    catalogue = SiteCatalogue.of([SiteData("lumi", ("s3://lumi-*/**",))])
    assert catalogue.site_of_url("s3a://lumi-stations/observations.parquet") == "lumi"
    assert catalogue.site_of_url("s3a://central-x/y") is None


SITE = {
    "name": "central",
    "label": "Central",
    "gateway": {"address": "http://127.0.0.1:8000"},
    "auth": {"type": "oidc", "issuer": "http://127.0.0.1:9", "client_id": "c"},
}


@pytest.mark.parametrize(
    "site, expected",
    [
        ({**SITE, "data": {"credentials": "sts-web-identity"}}, "data.credentials: must be an"),
        ({**SITE, "data": "s3"}, "data: 's3' is not of type 'object'"),
        (
            {**SITE, "auth": "oidc", "data": {"credentials": {"type": "sts-web-identity"}}},
            'site "central": auth',
        ),
        (
            {**SITE, "data": {"credentials": {"type": "keys", "secret": "wJalrXUtnFEMI"}}},
            "data.credentials.type: must be one of",
        ),
    ],
)
def test_malformed_credentials_are_errors_that_do_not_echo_values(site, expected):
    with pytest.raises(RegistryError) as err:
        validate_registry({"version": 1, "sites": [site]})
    assert expected in str(err.value)
    assert "wJalrXUtnFEMI" not in str(err.value)
