"""Parameters for a notebook run, papermill's way: a cell tagged ``injected-parameters``
after the cell tagged ``parameters`` (or first), assigning each value."""

from __future__ import annotations

import ast

import nbformat

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


def parse_value(text: str):
    """A Python literal (``3``, ``0.5``, ``'x'``, ``[1, 2]``, ``True``), else the text itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def inject_parameters(notebook, parameters: dict[str, object]) -> None:
    """Insert (or replace) the injected-parameters cell; names must be identifiers."""
    for name in parameters:
        if not name.isidentifier():
            raise ValueError(f"parameter name {name!r} is not a Python identifier")
    cells = [c for c in notebook.cells if INJECTED_TAG not in c.metadata.get("tags", [])]
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    injected = nbformat.v4.new_code_cell(source, metadata={"tags": [INJECTED_TAG]})
    after = next(
        (i + 1 for i, c in enumerate(cells) if PARAMETERS_TAG in c.metadata.get("tags", [])), 0
    )
    cells.insert(after, injected)
    notebook.cells = cells
