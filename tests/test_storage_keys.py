"""Object-store keys from the login (issue 17 part 1), on the real testbed.

The testbed's stores check keys (``testbed/object_store.py``): anonymous and
unknown keys are refused, keys come from STS web identity with the user's
access token, and they expire. A kernel with no keys in its environment reads
its sites' data; a site's keys open only that site's buckets and go only to
that site's workers; keys renew under a computation longer than their life;
no key reaches the browser, a log or a notebook.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import requests
import s3fs

from jupyter_ext_server.sidecar_client import SidecarError
from jupyter_ext_server.testbed import Testbed
from jupyter_ext_server.testbed.datasets import storage_options
from jupyter_ext_server.testbed.login import device_login
from jupyter_ext_server.testbed.object_store import role_arn
from jupyter_ext_server.testbed.storage import writer_keys
from support.kernels import kernel_running, run
from support.running import sidecar_session

pytestmark = pytest.mark.integration

ZMETADATA = "central-gfm/flood_extent.zarr/.zmetadata"


def value(out) -> str:
    assert out.error is None, out
    return out.result


def assume(endpoint: str, token: str, role: str, seconds: int = 900) -> requests.Response:
    """The unsigned STS call every SDK makes."""
    return requests.post(
        endpoint + "/",
        data={
            "Action": "AssumeRoleWithWebIdentity",
            "Version": "2011-06-15",
            "RoleArn": role,
            "RoleSessionName": "test",
            "WebIdentityToken": token,
            "DurationSeconds": str(seconds),
        },
        timeout=10,
    )


def keys_of(answer: requests.Response) -> dict:
    root = ET.fromstring(answer.text)
    field = {e.tag.rpartition("}")[2]: e.text for e in root.iter()}
    return {
        "key": field["AccessKeyId"],
        "secret": field["SecretAccessKey"],
        "token": field["SessionToken"],
    }


def store(endpoint: str, **options) -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(
        skip_instance_cache=True, client_kwargs={"endpoint_url": endpoint}, **options
    )


# -- the stores refuse what a real site's would -------------------------------------


def test_the_stores_refuse_anonymous_unknown_and_foreign_keys(testbed):
    central, lumi = testbed.sites["central"], testbed.sites["lumi"]
    assert requests.get(f"{central.storage}/{ZMETADATA}", timeout=5).status_code == 403
    assert requests.get(central.storage + "/", timeout=5).status_code == 403
    # moto's own API (it could switch checks off or list every secret) is not there.
    for path in ("/moto-api/", "/moto-api/data.json", "/moto-api/reset-auth"):
        assert requests.get(central.storage + path, timeout=5).status_code == 404
    assert requests.post(central.storage + "/moto-api/reset-auth", data=b"inf").status_code == 404
    with pytest.raises(PermissionError):
        store(central.storage, key="testbed", secret="testbed").cat(ZMETADATA)
    # lumi's writer key is unknown at central; at lumi it may not touch central-* buckets.
    with pytest.raises(PermissionError):
        s3fs.S3FileSystem(
            skip_instance_cache=True,
            **storage_options(central.storage, writer_keys(lumi.writer_file)),
        ).cat(ZMETADATA)
    assert store(central.storage, **_writer(central)).cat(ZMETADATA)


def _writer(ends) -> dict:
    keys = writer_keys(ends.writer_file)
    return {"key": keys["key"], "secret": keys["secret"]}


def test_sts_gives_keys_only_for_a_valid_token_and_the_sites_role(testbed):
    central, lumi = testbed.sites["central"], testbed.sites["lumi"]
    tokens = device_login(testbed.issuer, "alice", "alice-dask-sites")
    header, payload, signature = tokens.access_token.split(".")
    refused = {
        "not a JWT": assume(central.storage, "a.b.c", role_arn("central")),
        "empty": assume(central.storage, "", role_arn("central")),
        "forged signature": assume(
            central.storage, f"{header}.{payload}.{signature[::-1]}", role_arn("central")
        ),
        "HTML": assume(central.storage, "<script>alert(1)</script>", role_arn("central")),
    }
    for why, answer in refused.items():
        assert answer.status_code == 400, why
        assert "<Code>InvalidIdentityToken</Code>" in answer.text, why
    # A valid token, but another site's role.
    answer = assume(central.storage, tokens.access_token, role_arn("lumi"))
    assert answer.status_code == 403 and "AccessDenied" in answer.text
    answer = assume(central.storage, tokens.access_token, role_arn("central"))
    assert answer.status_code == 200
    keys = keys_of(answer)
    assert store(central.storage, **keys).cat(ZMETADATA)
    # central's keys are unknown at lumi.
    with pytest.raises(PermissionError):
        store(lumi.storage, **keys).cat("lumi-era5/rainfall.zarr/.zmetadata")


# -- a kernel without keys ------------------------------------------------------------

KERNEL_SETUP = (
    "import os, xarray as xr, dask_sites\n"
    "from jupyter_ext_server.storage.keys import KEYS\n"
    "flood = dask_sites.open_zarr('s3://central-gfm/flood_extent.zarr')\n"
    "rain = xr.open_zarr('s3://lumi-era5/rainfall.zarr')\n"  # no helper, no options
)


@pytest.fixture(scope="module")
def kernel(routing_sidecar):
    with kernel_running(routing_sidecar, KERNEL_SETUP) as client:
        yield client


def test_a_kernel_without_keys_reads_two_sites_data_at_their_sites(kernel, routing_sidecar):
    names = value(run(kernel, "sorted(k for k in os.environ if k.startswith('AWS_'))"))
    assert "AWS_ACCESS_KEY_ID" not in names and "AWS_SECRET_ACCESS_KEY" not in names
    out = run(kernel, "float(flood.flood_extent.mean()), float(rain.tp.sum())")
    flooded, rain_total = eval(value(out))
    assert 0 < flooded < 1 and rain_total > 0
    assert sorted(out.record["sites"]) == ["central", "lumi"]
    # Each site's workers hold that site's keys and no other's.
    held = {
        site: value(
            run(
                kernel,
                "from jupyter_ext_server.storage.keys import KEYS as _K\n"
                f"sorted(set().union(*dask_sites.client({site!r}).run("
                "lambda: list(__import__('jupyter_ext_server.storage.keys', "
                "fromlist=['KEYS']).KEYS._keys)).values()))",
            )
        )
        for site in ("central", "lumi")
    }
    assert held == {"central": "['central']", "lumi": "['lumi']"}


def test_one_sites_keys_do_not_open_anothers_buckets(kernel, testbed):
    code = (
        "import s3fs\n"
        "lumi_keys = KEYS.get('lumi')\n"
        "try:\n"
        "    s3fs.S3FileSystem(skip_instance_cache=True, key=lumi_keys.key, "
        "secret=lumi_keys.secret, token=lumi_keys.token, "
        f"client_kwargs={{'endpoint_url': {testbed.sites['central'].storage!r}}})"
        f".cat({ZMETADATA!r})\n"
        "    outcome = 'read'\n"
        "except PermissionError:\n"
        "    outcome = 'refused'\n"
        "outcome, repr(lumi_keys).count(lumi_keys.secret)"
    )
    assert value(run(kernel, code)) == "('refused', 0)"  # and repr shows no secret


def test_no_key_reaches_the_browser_a_log_or_the_notebook(kernel, routing_sidecar):
    secrets = eval(
        value(run(kernel, "[(k.secret, k.token) for k in (KEYS.get('central'), KEYS.get('lumi'))]"))
    )
    assert secrets and all(len(s) > 20 for pair in secrets for s in pair)
    shown = json.dumps(routing_sidecar.browser.get("/api/sites"))
    # The browser cannot ask for keys at all.
    with pytest.raises(SidecarError) as refused:
        routing_sidecar.browser.get("/kernel/sites/central/storage-credentials")
    assert refused.value.code == "caller-not-allowed"
    out = run(kernel, "print(KEYS.get('central')); KEYS.get('lumi')")
    notebook = out.stdout + (out.result or "") + json.dumps(out.displays)
    log = routing_sidecar.log_path.read_text(errors="replace")
    for secret, token in secrets:
        for text in (shown, notebook, log):
            assert secret not in text and token not in text


@pytest.mark.parametrize(
    "path, code",
    [
        ("/kernel/sites/atlantis/storage-credentials", "unknown-site"),
        ("/kernel/sites/..%2Fcentral/storage-credentials", "invalid-request"),
        ("/kernel/sites/central/storage-credentials/..", "invalid-request"),
        ("/kernel/sites/%3Cb%3Ecentral%3C%2Fb%3E/storage-credentials", "invalid-request"),
        ("/kernel/sites/%3Cb%3Ecentral/storage-credentials", "unknown-site"),
    ],
)
def test_the_keys_route_refuses_odd_paths(routing_sidecar, path, code):
    with pytest.raises(SidecarError) as refused:
        routing_sidecar.kernel.get(path)
    assert refused.value.code == code
    # A name is echoed quoted and cut short (JSON for a kernel; the Lab shows text, not HTML).
    assert len(str(refused.value)) < 400


# -- renewal ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_keys_testbed(tmp_path_factory):
    """One site whose keys last 20 s."""
    bed = Testbed(
        state_dir=tmp_path_factory.mktemp("short-keys"),
        sites=("central",),
        storage_key_seconds=20,
        idle_timeout=300,
    )
    try:
        yield bed.start()
    finally:
        bed.stop()


def test_keys_renew_under_a_computation_longer_than_their_life(
    short_keys_testbed, tmp_path_factory
):
    with (
        sidecar_session(
            short_keys_testbed.registry_path,
            tmp_path_factory.mktemp("short-keys-sidecar"),
            extra_args=("--auto-create-cluster",),
            user="alice",
        ) as sidecar,
        kernel_running(sidecar, KERNEL_SETUP.replace("rain = ", "# ")) as kernel,
    ):
        # Seven reads, 8 s apart, one after the other on central's workers: about 56 s,
        # nearly three lives of the keys. The store refuses expired keys.
        code = (
            "%%site central\n"
            "import time, dask\n"
            "first = KEYS.get('central').key\n"
            "store = dask_sites.filesystem('central')\n"
            "def read_later(store, before):\n"
            "    time.sleep(8)\n"
            "    return before + [len(store.cat('central-gfm/flood_extent.zarr/.zmetadata'))]\n"
            "reads = []\n"
            "for _ in range(7):\n"
            "    reads = dask.delayed(read_later)(store, reads)\n"
            "sizes = reads.compute()\n"
            "len(sizes), len(set(sizes)), KEYS.get('central').key != first"
        )
        out = run(kernel, code, timeout=240)
        assert value(out) == "(7, 1, True)"
        assert out.record["sites"] == ["central"]
