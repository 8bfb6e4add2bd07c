"""The extension's cell hooks in an in-process IPython shell, with fake site clients.

Edge cases of cell handling that a real kernel makes slow to reach: nested
and malformed ``%%site``, errors while connecting, silent requests after a
refused cell, empty nested cells, a scheduler left behind by a user's Client.
The real kernel and sites are in test_kernel_routing.py and test_kernel_errors.py.
"""

from __future__ import annotations

import dask
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_ext_server.kernel import extension, state
from jupyter_ext_server.kernel.catalogue import SiteCatalogue, SiteData
from jupyter_ext_server.kernel.errors import SiteError
from jupyter_ext_server.kernel.routing import is_site_command
from jupyter_ext_server.kernel.scheduler import SiteScheduler
from support.fakes import FakeClient, FakeSidecar

COMPUTE = "import dask\nvalue = dask.delayed(lambda: 41)().compute() + 1\n"


@pytest.fixture
def shell(monkeypatch):
    shell = InteractiveShell.instance()
    extension.load_ipython_extension(shell)
    router = state.current_router()
    clients = {"central": FakeClient(), "lumi": FakeClient()}

    def client_for(site):
        if site not in clients:
            raise SiteError(f'unknown site "{site}"; known sites: central, lumi')
        return clients[site]

    monkeypatch.setattr(router, "sidecar", FakeSidecar())
    # Sites without data rules: only recorded data has a site.
    monkeypatch.setattr(
        router.locations, "catalogue", SiteCatalogue.of([SiteData("central"), SiteData("lumi")])
    )
    monkeypatch.setattr(router, "client_for", client_for)
    shell.user_ns.pop("value", None)
    try:
        yield shell, router, clients
    finally:
        extension.unload_ipython_extension(shell)
        dask.config.config.pop("scheduler", None)


def ran(shell) -> bool:
    return shell.user_ns.get("value") == 42


@pytest.mark.parametrize("first_line", ["%%site lumi", "%%site lumi  # where the rain is"])
def test_site_magic_routes_the_cell(shell, first_line):
    ipython, _, clients = shell
    result = ipython.run_cell(f"{first_line}\n{COMPUTE}")
    assert result.success and ran(ipython)
    assert clients["lumi"].keys_run and not clients["central"].keys_run


def test_site_magic_inside_another_cell_magic_routes_its_body(shell):
    ipython, _, clients = shell
    result = ipython.run_cell(f"%%time\n%%site lumi\n{COMPUTE}")
    assert result.success and ran(ipython)
    assert clients["lumi"].keys_run


def test_a_site_magic_without_a_name_refuses_the_cell(shell):
    ipython, _, _clients = shell
    result = ipython.run_cell(f"%%site\n{COMPUTE}")
    assert not result.success and "%%site needs one site name" in str(result.error_before_exec)
    assert not ran(ipython)


def test_a_failure_while_connecting_refuses_the_cell(shell, monkeypatch):
    ipython, router, _ = shell

    def broken(site):
        raise OSError("Timed out trying to connect to gateway://lumi")

    monkeypatch.setattr(router, "client_for", broken)
    result = ipython.run_cell(f"%%site lumi\n{COMPUTE}")
    assert not result.success and "connecting to lumi failed (OSError" in str(
        result.error_before_exec
    )
    assert not ran(ipython)


def test_a_refusal_does_not_block_the_next_silent_request(shell):
    ipython, router, _ = shell
    assert not ipython.run_cell(f"%%site mars\n{COMPUTE}").success
    assert ipython.run_cell("%site --from-notebook lumi", silent=True).success
    assert router.default_site == "lumi"


def test_an_empty_nested_cell_keeps_the_routing(shell):
    ipython, _, _ = shell
    result = ipython.run_cell(
        "%%site lumi\nget_ipython().run_cell('')\n"
        "import dask\nkind = type(dask.config.get('scheduler')).__name__"
    )
    assert result.success and ipython.user_ns["kind"] == "SiteScheduler"


def test_a_scheduler_of_an_ended_cell_is_dropped(shell):
    """A Client made inside a routed cell puts that cell's scheduler back when it closes."""
    ipython, router, _ = shell
    from jupyter_ext_server.kernel.record import CellRecord
    from jupyter_ext_server.kernel.routing import Route

    dask.config.set(
        scheduler=SiteScheduler(
            Route("lumi", "cell magic"),
            router.client_for,
            router.locations,
            CellRecord("lumi", "cell magic"),
        )
    )
    assert ipython.run_cell("import dask\nafter = dask.config.get('scheduler', None)").success
    assert ipython.user_ns["after"] is None


def test_data_located_in_a_cell_routes_that_cells_computations(shell):
    """No data rules in the registry: the cell starts unrouted, then opens site data."""
    ipython, _, clients = shell
    result = ipython.run_cell(
        "import dask, dask.array as da, dask_sites\n"
        "rain = dask_sites.at(da.ones(4, chunks=2), 'lumi')\n"
        "value = int(rain.sum().compute()) + 38"
    )
    assert result.success and ran(ipython)
    assert clients["lumi"].keys_run


@pytest.mark.parametrize(
    ("cell", "command"),
    [
        ("%site --off", True),
        ("%site\n", True),
        ("# clear it\n%site --off\n\n%site lumi  # then lumi", True),
        ("%site --off\nx = 1", False),
        ("%%site lumi\n1", False),
        ("%sitex", False),
        ("", False),
    ],
)
def test_only_cells_of_site_commands_are_never_routed(cell, command):
    assert is_site_command(cell) is command
