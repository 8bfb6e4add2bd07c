"""nbclient's notebook client, running cells the way JupyterLab with Dask Sites does.

JupyterLab sends each cell's metadata with its ``execute_request`` (that is
where the kernel reads a cell's site tag) and puts the notebook's default
site into effect with a silent ``%site --from-notebook NAME``; nbclient and
papermill do neither, so their headless runs would ignore the tags.
"""

from __future__ import annotations

import copy

from nbclient import NotebookClient
from nbclient.util import run_sync

from ..kernel.routing import METADATA_KEY
from ..server.kernel_specs import EXTENSION_ARGUMENT


def notebook_default_site(notebook) -> str | None:
    """The notebook's default site (notebook metadata ``dask-sites.site``), if any."""
    value = notebook.metadata.get(METADATA_KEY)
    site = value.get("site") if isinstance(value, dict) else None
    return site if isinstance(site, str) and site else None


class SiteTagging:
    """Mixed into an nbclient client (plain, or papermill's): Python kernels load the
    ``dask_sites`` extension, each cell's request carries its metadata, and the
    notebook's default site is set before the first cell."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("extra_arguments", [EXTENSION_ARGUMENT])
        super().__init__(*args, **kwargs)

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()  # type: ignore[misc]
        site = notebook_default_site(self.nb)  # type: ignore[attr-defined]
        if site:
            sent = kc.execute(f"%site --from-notebook {site}", silent=True, store_history=False)
            await self.async_wait_for_reply(sent)  # type: ignore[attr-defined]
        return kc

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        kc = self.kc  # type: ignore[attr-defined]

        def execute(
            code,
            silent=False,
            store_history=True,
            user_expressions=None,
            allow_stdin=None,
            stop_on_error=True,
        ):
            content = {
                "code": code,
                "silent": silent,
                "store_history": store_history,
                "user_expressions": user_expressions or {},
                "allow_stdin": False,
                "stop_on_error": stop_on_error,
            }
            # As JupyterLab 4 sends it (CodeCell.execute): the cell's metadata and id.
            metadata = copy.deepcopy(dict(cell.get("metadata", {})))
            metadata["cellId"] = cell.get("id")
            message = kc.session.msg("execute_request", content, metadata=metadata)
            kc.shell_channel.send(message)
            return message["header"]["msg_id"]

        kc.execute = execute  # this cell's request only
        try:
            return await super().async_execute_cell(  # type: ignore[misc]
                cell, cell_index, execution_count, store_history
            )
        finally:
            del kc.execute

    # nbclient binds its blocking versions to its own coroutines (papermill calls
    # them): bind them to these.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)
    execute_cell = run_sync(async_execute_cell)


class SiteTaggedClient(SiteTagging, NotebookClient):
    """nbclient's ``NotebookClient`` that honours Dask Sites' cell tags and default."""
