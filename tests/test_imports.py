"""The Python packages import one way: no cycles, and imports at the top.

Reads the sources (nothing is imported), so it runs in the fast tier.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("jupyter_ext_server", "dask_sites")

#: Imported where first needed in the kernel, not at the top, with the reason
#: at each place: they take most of a second each to load, and the extension
#: loads in every Python kernel the server starts (``dask.dataframe`` also needs
#: pyarrow, which a kernel without dataframes may lack).
LOADED_ON_DEMAND = {"distributed", "dask_gateway", "xarray", "dask.dataframe"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, int, bool]]:
    """``(imported project module, line, at module level)`` for every import in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def resolve(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = package.split(".")
        base = base[: len(base) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
            )
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                target = resolve(child)
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    found.append((sub if sub in known else target, child.lineno, top))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return found


def project_graph() -> dict[str, set[str]]:
    files = sources()
    known = set(files)
    return {
        name: {
            target
            for target, _, _ in imports_of(name, path, known)
            if target in known and target != name
        }
        for name, path in files.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_cycle_in_the_packages():
    graph = project_graph()
    assert "jupyter_ext_server.kernel.router" in graph  # the graph is the real one
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_kernel_imports_are_at_the_top():
    """Function-level imports hid the kernel's cycles; only the slow optional
    libraries may load on demand."""
    files = sources()
    known = set(files)
    late = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for name, path in files.items()
        if name.startswith(("jupyter_ext_server.kernel", "dask_sites"))
        for target, line, top in imports_of(name, path, known)
        if not top and not {target, target.split(".")[0]} & LOADED_ON_DEMAND
    ]
    assert late == []


def test_the_user_api_does_not_import_the_ipython_glue():
    graph = project_graph()
    for module in ("api", "widget", "router", "state", "scheduler", "split", "planner"):
        assert (
            "jupyter_ext_server.kernel.extension"
            not in graph[f"jupyter_ext_server.kernel.{module}"]
        )
