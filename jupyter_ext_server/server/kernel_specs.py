"""Python kernels started by this server load the Dask Sites kernel extension.

The server's kernel spec manager hands out a copy of each spec with
``--ext=dask_sites`` added when the kernel is an ipykernel. Nothing is written
to the user's IPython profile, and kernels started elsewhere are untouched.
The extension stays inert in a kernel that cannot reach the sidecar.
"""

from __future__ import annotations

import functools

EXTENSION_ARGUMENT = "--ext=dask_sites"


def is_ipykernel(argv: list[str]) -> bool:
    return any(part in ("ipykernel_launcher", "ipykernel") for part in argv)


def load_extension_in_python_kernels(kernel_spec_manager, log) -> None:
    original = kernel_spec_manager.get_kernel_spec
    if getattr(original, "_dask_sites", False):
        return

    @functools.wraps(original)
    def get_kernel_spec(kernel_name, *args, **kwargs):
        spec = original(kernel_name, *args, **kwargs)
        if is_ipykernel(spec.argv) and EXTENSION_ARGUMENT not in spec.argv:
            spec.argv = [*spec.argv, EXTENSION_ARGUMENT]
        return spec

    get_kernel_spec._dask_sites = True  # type: ignore[attr-defined]
    kernel_spec_manager.get_kernel_spec = get_kernel_spec
    log.info("Dask Sites: Python kernels load the dask_sites extension (%s).", EXTENSION_ARGUMENT)
