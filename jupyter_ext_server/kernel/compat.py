"""The private Dask and distributed APIs that routing depends on, in one place.

Dask Sites reads graphs below the public API: the layer graph behind what
``dask.compute`` hands a scheduler, the task objects of a graph, and waiting
on futures of a client that is not the current one. When a dask or
distributed upgrade moves one of these, this is the file to change (and
``tests/test_planner.py`` / ``tests/test_kernel_hooks.py`` say whether it
still works).
"""

from __future__ import annotations

from collections.abc import Iterable

import dask.threaded
from dask._expr import Expr, FinalizeCompute, HLGExpr  # dask ≥ 2025: collections are expressions
from dask._task_spec import DataNode, Task, convert_legacy_graph, fuse_linear_task_spec
from dask.base import collections_to_expr
from dask.highlevelgraph import HighLevelGraph
from dask.utils import funcname, key_split, methodcaller

__all__ = [
    "DataNode",
    "Task",
    "cancel_reason",
    "expr_tasks",
    "fuse_chains",
    "graph_of_expr",
    "inner_io",
    "is_expression_collection",
    "layers_for",
    "lowered_expr",
    "run_here",
    "tasks_from_legacy",
    "tasks_of",
    "tree_reduction",
    "wait_on",
]

#: Expression nodes that only group other expressions (``dask.compute(a, b)``).
_SEQUENCE_NODES = ("_ExprSequence", "_HLGExprSequence")


def graph_of_expr(expr) -> HighLevelGraph | None:
    """The unoptimised HighLevelGraph behind what ``dask.compute`` passes on, or None.

    ``dask.compute`` wraps legacy collections (arrays, delayed, bags, xarray's
    arrays) in ``HLGExpr`` nodes; their ``hlg`` keeps the layer names the
    data was opened with. Expression collections (dataframes) have none.
    """
    graphs, pending = [], [expr]
    while pending:
        node = pending.pop()
        if isinstance(node, HLGExpr):
            graphs.append(node.hlg)
            continue
        children = list(node.dependencies())
        if not children and type(node).__name__ not in _SEQUENCE_NODES:
            return None  # an expression we cannot read layer by layer
        pending.extend(children)
    return HighLevelGraph.merge(*graphs) if graphs else None


def legacy_graphs_in(expr) -> HighLevelGraph | None:
    """The HighLevelGraphs of the legacy collections (arrays, xarray, delayed) inside an
    expression that also holds others (dataframes), or None: their inputs count too."""
    graphs, pending = [], [expr]
    while pending:
        node = pending.pop()
        if isinstance(node, HLGExpr):
            graphs.append(node.hlg)
        else:
            pending.extend(node.dependencies())
    return HighLevelGraph.merge(*graphs) if graphs else None


#: Key names of table readers once dask has turned a dataframe into plain tasks.
_READER_KEYS = ("read_parquet", "readparquet", "read-", "read_csv", "read_json", "from_map")


def has_materialised_tables(graph: HighLevelGraph) -> bool:
    """Did dask turn dataframes into plain tasks in ``graph``? It does when one
    ``dask.compute`` mixes them with arrays or delayed objects (and warns); their
    tables can then no longer be told apart from the rest."""
    return any(
        key_split(key).startswith(_READER_KEYS)
        for layer in graph.layers.values()
        if type(layer).__name__ == "MaterializedLayer"
        for key in layer
    )


def tasks_of(graph: HighLevelGraph) -> dict:
    """``{key: Task | DataNode | ...}``: the graph's tasks as objects that
    know their dependencies, so parts of it can be culled and replaced."""
    return convert_legacy_graph(graph.to_dict())


def fuse_chains(tasks: dict, keys: list) -> dict:
    """``tasks`` with each linear chain fused into one task (what dask's own
    low-level optimisation does: fewer tasks for the scheduler to handle);
    ``keys`` keep their names, so futures and later steps still find them."""
    return fuse_linear_task_spec(tasks, keys)


def layers_for(graph: HighLevelGraph, keys: list) -> HighLevelGraph:
    """The layers of ``graph`` that ``keys`` need, culled to them: a part to
    submit as layers, which the scheduler expands itself (cheaper than
    sending each task from the kernel); the keys keep their names."""
    return graph.cull(set(keys))


def run_here(tasks: dict, keys: list) -> list:
    """Compute ``keys`` of ``tasks`` in this kernel, with dask's threads."""
    return dask.threaded.get(tasks, keys)


def wait_on(client, futures) -> None:
    """Wait on ``client``'s own loop: ``distributed.wait`` would need a current client.

    Imported here, not at the top: ``distributed`` takes most of a second to
    load, and a kernel that never computes at a site must not pay for it.
    """
    from distributed.client import _wait  # noqa: PLC0415 (see above)

    client.sync(_wait, futures)


def cancel_reason(future) -> str | None:
    """Why distributed cancelled ``future`` (e.g. ``scheduler-connection-lost``), if
    it says: the reason rides on the future's private state."""
    cancelled = getattr(getattr(future, "_state", None), "exception", None)
    return getattr(cancelled, "reason", None)


# -- dask-expr (dataframes) --------------------------------------------------------
#
# Dataframes are expression trees (dask-expr), lowered by ``dask.compute`` before
# the scheduler sees them; ``frame_planner.py`` reads the lowered tree. Nothing
# here imports ``dask.dataframe`` (it needs pyarrow and takes a while to load):
# the nodes are recognised by their class names and operands.


def is_expression_collection(obj) -> bool:
    """A collection backed by an expression tree of its own (a dask-expr DataFrame
    or Series, or a scalar reduced from one), not by a layer graph."""
    expr = getattr(obj, "expr", None)
    return isinstance(expr, Expr) and not isinstance(expr, HLGExpr)


def lowered_expr(collections: Iterable):
    """What ``dask.compute(*collections)`` hands its scheduler: the collections'
    expression, finalised and optimised (dataframes lowered to their partitions)."""
    return FinalizeCompute(collections_to_expr(list(collections))).optimize()


def expr_tasks(expr) -> dict:
    """The tasks of a lowered expression, one entry per key (legacy tuples and
    task objects mixed, as dask-expr makes them; see ``tasks_from_legacy``)."""
    return dict(expr.__dask_graph__())


def tasks_from_legacy(tasks: dict) -> dict:
    """``{key: Task | DataNode | ...}`` from a mix of legacy tuples and task objects."""
    return convert_legacy_graph(tasks)


def inner_io(node):
    """The reader inside a ``FusedIO`` node (several files per partition), or None."""
    if type(node).__name__.startswith("FusedIO") and "_expr" in getattr(node, "_parameters", ()):
        return node.operand("_expr")
    return None


def tree_reduction(node) -> dict | None:
    """The parts of a dask-expr ``TreeReduce`` node, or None for other nodes.

    Dataframe reductions lower to one when they need no shuffle: sums, counts,
    means' sums and counts, min, max, var, ``len``, groupby aggregations, but
    also ``nlargest``, ``unique``/``drop_duplicates`` (``split_out=1``) and
    others whose partials are rows. ``kind`` names what lowered to it
    (``_reductions.Sum``, ``_groupby.Mean``: module and class, so dataframe and
    groupby sums differ); ``steps``, for a groupby ``agg`` spec, the method each
    intermediate column is combined with (``sum``, ``max``; ``?`` for anything
    but a plain method, such as ``list`` or a custom ``Aggregation``), else None.

    Its tasks apply ``chunk`` to each partition (the node's ``frame``), then
    ``combine`` to lists of chunk results, then ``aggregate`` to the last list:
    ``combine`` of any list of chunk (or combine) results is again such a
    result, which is what lets each site combine its own partitions first."""
    if type(node).__name__ != "TreeReduce":
        return None
    kind = node.kind
    combine_kwargs = node.combine_kwargs or {}
    return {
        "name": node._name,
        "kind": f"{getattr(kind, '__module__', '').rpartition('.')[2]}.{funcname(kind)}",
        "steps": _spec_steps(combine_kwargs.get("funcs")),
        "chunk_keys": list(node.frame.__dask_keys__()),
        "combine": node.combine,
        "combine_kwargs": combine_kwargs,
        "aggregate": node.aggregate,
        "aggregate_kwargs": node.aggregate_kwargs or {},
        "split_every": node.split_every,
    }


def _spec_steps(funcs) -> frozenset[str] | None:
    """How a groupby ``agg`` combines its intermediate columns: ``funcs`` are
    ``(column, _apply_func_to_column, {"func": M.sum, ...})`` triples."""
    if not isinstance(funcs, (list, tuple)):
        return None
    steps = set()
    for spec in funcs:
        apply_to, kwargs = (spec[1], spec[2]) if len(spec) == 3 else (None, None)
        func = kwargs.get("func") if isinstance(kwargs, dict) else None
        plain = funcname(apply_to) == "_apply_func_to_column" if apply_to else False
        steps.add(func.method if plain and isinstance(func, methodcaller) else "?")
    return frozenset(steps)
