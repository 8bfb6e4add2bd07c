"""Split a dataframe computation over tables of several sites, or say why not.

Pure, like ``planner.py``, whose plans it reuses: a dataframe's lowered
expression becomes a ``HighLevelGraph`` that ``plan_graph`` can cut and
``split.py`` can run, with the move limit, placement, records and
``explain`` unchanged.

1. Every task gets the sites of the table partitions it reads (the task
   graph of the lowered expression, unfused: one ``(name, partition)`` key
   per partition of each node).
2. A tree reduction (``TreeReduce``) that aggregates (``AGGREGATING``: sums,
   counts, means, min, max, var, ``len`` of a filtered frame, groupby
   aggregations of those) whose partitions come from several sites is
   rewritten: each site combines its own partitions (``combine``, in batches
   of the reduction's ``split_every``) into one partial result, and the
   reduction's ``aggregate`` reads those partials. That is the reduction dask
   would have run, with its combine tree grouped by site instead of by
   partition number. Partitions of no site (``dd.from_pandas``) get a partial
   of their own, computed with the mix. Other tree reductions (``nlargest``,
   ``unique``, ``drop_duplicates``: their partials are a site's rows) are not
   reductions here, and mixing them is refused (4.).
3. The tasks are grouped into layers by node and site, so ``plan_graph``
   cuts at the last single-site layers: the partials (and single-site
   results such as ``central.x.sum()`` in ``central.x.sum() + lumi.x.mean()``).
4. Mixing sites is allowed only on *reduced* data: every layer that mixes
   sites must read reductions (or values made from them), never a site's rows.
   A merge, a concat brought back whole, a median, a top-n, distinct rows, a
   shuffle (``nunique``, non-decomposable groupby aggregations,
   ``groupby().apply``) mix rows: they are refused with what mixes, which
   sites, and what to do instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from dask.highlevelgraph import HighLevelGraph, MaterializedLayer
from dask.utils import apply

from .compat import expr_tasks, tasks_from_legacy, tree_reduction
from .describe import step_name
from .errors import SiteError
from .planner import Plan, key_name, plan_graph

Key = Hashable

#: What a per-site partial of a tree reduction is called: ``sum-tree-partial-<token>``.
PARTIAL = "-partial"
#: The combine levels below it, at the site: ``sum-tree-combine-<token>``.
COMBINE = "-combine"
#: The group of a reduction's partitions that read no site's table (in-memory frames).
NO_SITE = ""

#: Tree reductions whose partials are aggregates, not rows (dask-expr's classes,
#: ``module.class`` as ``compat.tree_reduction`` names them). Not here, so refused
#: across sites: nlargest/nsmallest, unique, drop_duplicates, str.cat,
#: is_monotonic, custom reductions, groupby first/last/head/tail/unique.
AGGREGATING = frozenset(
    f"_reductions.{name}"
    for name in (
        *("Sum", "Prod", "Max", "Min", "Any", "All", "Count", "IndexCount", "Len", "Size"),
        *("Var", "Moment", "Cov", "Corr", "IdxMin", "IdxMax", "NuniqueApprox", "NBytes"),
        *("MemoryUsageIndex", "MemoryUsageFrame", "TotalMemoryUsageFrame"),
        # Counts per distinct value, as groupby(...).size() below.
        *("ValueCounts", "Mode", "PivotTableSum", "PivotTableCount"),
    )
) | frozenset(
    f"_groupby.{name}"
    for name in (
        *("Sum", "Prod", "Min", "Max", "Count", "Size", "Mean", "Var", "Std"),
        *("IdxMin", "IdxMax", "Cov", "Corr", "ValueCounts"),
    )
)
#: A groupby ``agg`` spec aggregates when each intermediate column is combined by one of
#: these (sum, mean, count, size, var/std, min, max, prod do; first, last, list, custom not).
AGGREGATING_SPEC = "_groupby.DecomposableGroupbyAggregation"
AGGREGATING_STEPS = frozenset({"sum", "min", "max", "prod"})

#: What a refused tree reduction mixes, for the message (by dask-expr class name).
_KEEPS_ROWS = {
    "NLargest": "a top-n (nlargest), which brings each site's top rows together",
    "NSmallest": "a top-n (nsmallest), which brings each site's bottom rows together",
    "NFirst": "the first rows of each site brought together",
    "NLast": "the last rows of each site brought together",
    "Unique": "distinct rows (unique/drop_duplicates), which brings each site's distinct rows "
    "together",
    "DropDuplicates": "distinct rows (unique/drop_duplicates), which brings each site's "
    "distinct rows together",
    "First": "a groupby first/last, which keeps rows' values",
    "Last": "a groupby first/last, which keeps rows' values",
    "Head": "a groupby head/tail, which keeps rows",
    "Tail": "a groupby head/tail, which keeps rows",
    "DecomposableGroupbyAggregation": "a groupby agg that keeps rows' values (first, last, "
    "list or a custom Aggregation)",
    "Cat": "the rows' strings joined (str.cat)",
}


@dataclass(frozen=True)
class FrameGraph:
    """A lowered dataframe expression as layers a split can run."""

    graph: HighLevelGraph
    #: Layers whose output is reduced (a partial, a reduction, or made only of those).
    reduced: frozenset[str]
    #: Each layer's sites.
    sites: Mapping[str, frozenset[str]]
    #: Tree reductions whose partials are rows: name → what they do, for a refusal.
    keeps_rows: Mapping[str, str] = field(default_factory=dict)


def plan_frame(expr, keys: Iterable[Key], inputs: Mapping[str, tuple[str, str]]):
    """``(graph, plan)`` for computing ``keys`` of a lowered dataframe expression.

    ``inputs`` maps its readers' names to ``(site, why)``. One site (or none):
    no graph is built, the plan says where it all runs. Several: the graph
    with per-site partial reductions and its split plan; a computation that
    would mix sites' rows raises ``SiteError`` saying what to do instead."""
    keys = list(keys)
    sites = tuple(dict.fromkeys(site for site, _ in inputs.values()))
    if not sites:
        return None, Plan("none", ())
    if len(sites) == 1:
        return None, Plan("single", sites, site=sites[0], inputs=dict(inputs))
    frame = frame_graph(expr, {name: site for name, (site, _) in inputs.items()})
    inputs = {name: where for name, where in inputs.items() if name in frame.graph.layers}
    plan = plan_graph(frame.graph, keys, inputs)
    if plan.kind == "split":
        refuse_mixed_rows(frame, plan)
    return frame.graph, plan


def frame_graph(expr, read_sites: Mapping[str, str]) -> FrameGraph:
    """The expression's tasks, tree reductions split by site, grouped in layers."""
    legacy = expr_tasks(expr)
    tasks = tasks_from_legacy(legacy)
    sites = task_sites(tasks, read_sites)
    reduced_names: set[str] = set()
    keeps_rows: dict[str, str] = {}
    rewritten = False
    for node in expr.walk():
        reduction = tree_reduction(node)
        if reduction is None:
            continue
        if not aggregates(reduction):
            # Its partials would be rows: not a reduction (a layer mixing it is refused).
            kind = reduction["kind"].rpartition(".")[2]
            keeps_rows[reduction["name"]] = _KEEPS_ROWS.get(
                kind, f"a reduction whose partials are rows ({kind})"
            )
            continue
        reduced_names.add(reduction["name"])
        by_site = _chunks_by_site(reduction["chunk_keys"], sites)
        if by_site is not None and len(set(by_site) - {NO_SITE}) > 1:
            _split_by_site(legacy, reduction, by_site)
            reduced_names.add(_partial_name(reduction["name"]))
            reduced_names.add(_partial_name(reduction["name"], COMBINE))
            rewritten = True
    if rewritten:
        tasks = tasks_from_legacy(legacy)
        sites = task_sites(tasks, read_sites)
    return _layered(tasks, sites, set(read_sites), reduced_names, keeps_rows)


def aggregates(reduction: dict) -> bool:
    """Whether a tree reduction's partials are aggregates (its kind is allowed), not rows."""
    if reduction["kind"] in AGGREGATING:
        return True
    steps = reduction["steps"]
    return reduction["kind"] == AGGREGATING_SPEC and bool(steps) and steps <= AGGREGATING_STEPS


def task_sites(tasks: Mapping[Key, object], read_sites: Mapping[str, str]) -> dict:
    """``{key: frozenset of sites}``: a reader's partitions have its site, any
    other task the union of the tasks it reads."""
    result: dict = {}
    for key in _toposorted(tasks):
        name = key_name(key)
        if name in read_sites:
            result[key] = frozenset({read_sites[name]})
            continue
        own: frozenset[str] = frozenset()
        for dep in _dependencies(tasks[key]):
            own |= result.get(dep, frozenset())
        result[key] = own
    return result


def refuse_mixed_rows(frame: FrameGraph, plan: Plan) -> None:
    """Raise if a layer that mixes sites reads a site's rows (not a reduction)."""
    for layer in plan.local_layers:
        raw = [
            dep
            for dep in frame.graph.dependencies.get(layer, ())
            if len(frame.sites.get(dep, ())) == 1 and dep not in frame.reduced
        ]
        if raw:
            raise SiteError(mixed_rows_message(layer, raw, frame, plan))


def mixed_rows_message(layer: str, raw: list[str], frame: FrameGraph, plan: Plan) -> str:
    mixed = {site for dep in raw for site in frame.sites[dep]}
    sites = [site for site in plan.sites if site in mixed]
    tables = [f"{why} at {site}" for site, why in dict.fromkeys(plan.inputs.values())]
    operation = step_name(layer)
    what = frame.keeps_rows.get(layer.split("@")[0]) or _what_mixes(operation)
    return (
        f"Not run: this dataframe computation mixes rows of {' and '.join(sites)}: "
        f"{what} ({operation!r}).\n"
        "Tables:\n" + "".join(f"  {table}\n" for table in tables) + "Across sites, Dask Sites "
        "runs only what each site can reduce on its own rows first: sum, count, mean, min, max, "
        "var/std, len, and groupby(...).agg of those, over dd.concat([...]) of the sites' "
        "tables or combined from per-site results. Rows do not move between sites.\n"
        "Reduce each site's table first (e.g. aggregate per station at each site, then combine "
        "the small results), or run it all at one site on purpose: tag the cell with "
        "%%site NAME (the other sites' rows then cross to it; not from sites whose "
        "keys are per user, which go to their own workers only)."
    )


def _what_mixes(operation: str) -> str:
    name = operation.lower()
    if "merge" in name or "join" in name:
        return "a merge/join of the tables"
    if any(word in name for word in ("shuffle", "partitioningindex", "barrier")):
        return "a shuffle of rows between partitions (nunique, groupby median or apply, ...)"
    if "quantile" in name or "median" in name:
        return "a quantile or median, which needs all rows together"
    if "repartition" in name or "stackpartition" in name or "concat" in name:
        return "the tables' rows brought together whole"
    return "an operation on rows, not on per-site reductions"


# -- the rewrite ----------------------------------------------------------------------


def _partial_name(name: str, step: str = PARTIAL) -> str:
    """``sum-tree-3f2a…`` → ``sum-tree-partial-3f2a…`` (the token stays last)."""
    head, sep, token = name.rpartition("-")
    return f"{head}{step}-{token}" if sep else f"{name}{step}"


def _chunks_by_site(chunk_keys: list, sites: Mapping) -> dict[str, list] | None:
    """The reduction's chunk keys grouped by site, or None if a chunk mixes
    sites (then the reduction already reads mixed rows). Chunks of no site
    (an in-memory frame in a ``dd.concat``) are a group of their own,
    ``NO_SITE``: their partial has no site, so it is computed with the mix."""
    grouped: dict[str, list] = {}
    for key in chunk_keys:
        its = sites.get(key, frozenset())
        if len(its) > 1:
            return None
        grouped.setdefault(next(iter(its)) if its else NO_SITE, []).append(key)
    return grouped


def _split_by_site(legacy: dict, reduction: dict, by_site: dict[str, list]) -> None:
    """Replace the reduction's tasks: per site a combine tree over its own
    chunks down to one partial; the aggregate reads the partials."""
    name = reduction["name"]
    for key in [k for k in legacy if key_name(k) == name]:
        del legacy[key]
    partial = _partial_name(name)
    # The levels below a site's partial (many partitions): a name of their own,
    # so the partial's layer holds only what moves.
    combining = _partial_name(name, COMBINE)
    combine, combine_kwargs = reduction["combine"], reduction["combine_kwargs"]
    partials = []
    for number, keys in enumerate(by_site.values()):
        level = 0
        while True:
            level += 1
            # split_every False: everything in one combine.
            batch = reduction["split_every"] or len(keys)
            groups = [keys[i : i + batch] for i in range(0, len(keys), batch)]
            last = len(groups) == 1
            new_keys = []
            for index, group in enumerate(groups):
                key = (partial, number) if last else (combining, number, level, index)
                # What TreeReduce's own tasks are: dask's apply, so a site's
                # workers need nothing of Dask Sites to run them.
                legacy[key] = (apply, combine, [list(group)], combine_kwargs)
                new_keys.append(key)
            keys = new_keys
            if last:
                break
        partials.append(keys[0])
    legacy[(name, 0)] = (apply, reduction["aggregate"], [partials], reduction["aggregate_kwargs"])


# -- layers -----------------------------------------------------------------------------


def _layered(
    tasks: dict, sites: dict, readers: set[str], reduced_names: set[str], keeps_rows: dict
) -> FrameGraph:
    """Tasks grouped by node name and site set: a node whose partitions come
    from several sites (``stackpartition`` of a concat) gives one layer per site."""
    groups: dict[tuple, dict] = {}
    for key, task in tasks.items():
        groups.setdefault((key_name(key), sites[key]), {})[key] = task
    split_names = {name for name, _ in groups if sum(1 for n, _ in groups if n == name) > 1}
    layer_of: dict = {}
    layers: dict[str, MaterializedLayer] = {}
    layer_sites: dict[str, frozenset[str]] = {}
    for (name, its_sites), its_tasks in groups.items():
        layer = f"{name}@{'+'.join(sorted(its_sites)) or 'here'}" if name in split_names else name
        layers[layer] = MaterializedLayer(its_tasks)
        layer_sites[layer] = its_sites
        layer_of.update(dict.fromkeys(its_tasks, layer))
    dependencies: dict[str, set[str]] = {layer: set() for layer in layers}
    for key, task in tasks.items():
        for dep in _dependencies(task):
            if dep in layer_of and layer_of[dep] != layer_of[key]:
                dependencies[layer_of[key]].add(layer_of[dep])
    graph = HighLevelGraph(layers, dependencies)
    reduced = _reduced_layers(graph, layer_sites, readers, reduced_names)
    return FrameGraph(graph, frozenset(reduced), layer_sites, keeps_rows)


def _reduced_layers(graph, layer_sites, readers: set[str], reduced_names: set[str]) -> set[str]:
    """Layers made of reductions: a reduction's own layers, and any layer whose
    inputs are all reduced. A reader's rows, and all that reads them without a
    reduction between, are not."""
    reduced: set[str] = set()
    pending = list(graph.layers)
    done: set[str] = set()
    while pending:  # layers in dependency order (the graph is small: one per node and site)
        progressed = False
        for layer in list(pending):
            deps = graph.dependencies.get(layer, set())
            if not deps <= done:
                continue
            name = layer.split("@")[0]
            made_of_reductions = name not in readers and all(d in reduced for d in deps)
            if name in reduced_names or made_of_reductions:
                reduced.add(layer)
            done.add(layer)
            pending.remove(layer)
            progressed = True
        if not progressed:  # not expected of an expression graph; judge the rest as rows
            break
    return reduced


def _dependencies(task) -> Iterable:
    return getattr(task, "dependencies", ()) or ()


def _toposorted(tasks: Mapping) -> list:
    order, state = [], {}
    for root in tasks:
        if root in state:
            continue
        stack = [(root, iter(_dependencies(tasks[root])))]
        state[root] = 1
        while stack:
            key, deps = stack[-1]
            for dep in deps:
                if dep in tasks and dep not in state:
                    state[dep] = 1
                    stack.append((dep, iter(_dependencies(tasks[dep]))))
                    break
            else:
                stack.pop()
                order.append(key)
    return order
