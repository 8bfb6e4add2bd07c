"""papermill's ``dask-sites`` engine: ``papermill --engine dask-sites IN OUT -p name value``.

papermill parameterises and writes the notebook; this engine runs it like
``dask-sites run`` does: a sidecar of its own (the registry from
``$DASK_SITES_REGISTRY``) and each cell's tag and the notebook's default
site sent to the kernel as JupyterLab sends them.
"""

from __future__ import annotations

import os

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from .standalone_sidecar import registry_from_environment, standalone_sidecar
from .tagged_client import SiteTagging


class SiteTaggedPapermillClient(SiteTagging, PapermillNotebookClient):
    """papermill's client (saving as it goes, recording errors) honouring the tags."""


class DaskSitesEngine(NBClientEngine):
    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        **kwargs,
    ):
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        with standalone_sidecar(registry_from_environment()) as environment:
            client = SiteTaggedPapermillClient(nb_man, **final_kwargs)
            return client.execute(env={**os.environ, **environment})
