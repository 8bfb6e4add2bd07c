"""Which tables a dataframe expression reads: the leaves of its expression tree.

Dataframes (dask-expr) have no layer graph whose names survive: an expression
is rewritten (columns pushed into the reader, files fused per partition) and
lowered before any scheduler sees it. What survives is the reader and its
paths. So a dataframe's inputs are found by walking the (lowered) tree:

- ``ReadParquet*`` nodes (``dd.read_parquet``), also inside ``FusedIO``
  (several files per partition): their ``path`` operand and the endpoint in
  their ``storage_options`` / ``filesystem``;
- ``FromMap*`` nodes (``dd.read_csv``, ``read_json``, ``from_map`` readers):
  the fsspec files in their ``iterables`` (found with ``storage_of``, the
  same search ``locations.py`` makes in array tasks).

``FromPandas`` and other in-memory leaves read no table: they have no site.
Pure: no clients, no registry; ``locations.py`` decides which site a read's
URLs belong to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .compat import inner_io

#: Finds ``(url, endpoint)`` of the fsspec file a value reads (``locations._storage_of``).
StorageOf = Callable[[object], "tuple[str | None, str | None] | None"]


@dataclass(frozen=True)
class TableRead:
    """One reader in an expression tree."""

    #: The node's name: its tasks' keys are ``(name, partition)``.
    name: str
    #: How it reads, for people: ``read_parquet``, ``read_csv``...
    what: str
    #: The paths it reads, as URLs (``s3://central-stations/observations.parquet``).
    urls: tuple[str, ...]
    #: The object store's endpoint, when its options name one.
    endpoint: str | None = None


def table_reads(expr, storage_of: StorageOf) -> list[TableRead]:
    """Every table reader in ``expr``'s tree (lowered or not), in tree order."""
    reads: dict[str, TableRead] = {}
    for node in _nodes(expr):
        read = _read_of(node, storage_of)
        if read is not None and read.urls:
            reads.setdefault(read.name, read)
    return list(reads.values())


def _nodes(expr) -> Iterator:
    """The tree's nodes, each once, depth first and left to right (so the
    tables of ``dd.concat([central, lumi])`` come in that order)."""
    seen: set[str] = set()
    pending = [expr]
    while pending:
        node = pending.pop()
        name = getattr(node, "_name", None)
        if name is None or name in seen:
            continue
        seen.add(name)
        yield node
        children = list(node.dependencies()) if hasattr(node, "dependencies") else []
        # Blockwise fusion keeps the fused nodes in ``exprs`` (not as dependencies).
        if type(node).__name__ == "Fused":
            children = [*getattr(node, "exprs", ()), *children]
        pending.extend(reversed(children))


def _read_of(node, storage_of: StorageOf) -> TableRead | None:
    inner = inner_io(node)
    if inner is not None:  # FusedIO: the reader inside, under the fused node's name
        read = _read_of(inner, storage_of)
        if read is None:
            return None
        return TableRead(node._name, read.what, read.urls, read.endpoint)
    kind = type(node).__name__
    parameters = getattr(node, "_parameters", ())
    if kind.startswith("ReadParquet") and "path" in parameters:
        urls = _paths(node.operand("path"), node)
        return TableRead(node._name, "read_parquet", urls, _endpoint_of_options(node))
    if kind.startswith("FromMap") and "iterables" in parameters:
        found = list(_files_of(node.operand("iterables"), storage_of))
        urls = tuple(dict.fromkeys(url for url, _ in found if url))
        endpoint = next((e for _, e in found if e), None)
        what = _label(node) or "from_map"
        return TableRead(node._name, what, urls, endpoint)
    return None


def _paths(path, node) -> tuple[str, ...]:
    """``path`` as URLs: a string or a list of them; a path without a protocol
    gets the one of the node's fsspec filesystem, if any."""
    paths = [path] if isinstance(path, str) else list(path or ())
    protocol = _protocol_of(node)
    urls = []
    for item in paths:
        if not isinstance(item, str):
            continue
        if "://" not in item and protocol and protocol != "file":
            item = f"{protocol}://{item.lstrip('/')}"
        urls.append(item)
    return tuple(urls)


def _protocol_of(node) -> str | None:
    fs = node.operand("filesystem") if "filesystem" in node._parameters else None
    protocol = getattr(fs, "protocol", None)
    if isinstance(protocol, (tuple, list)):
        protocol = protocol[0] if protocol else None
    return protocol if isinstance(protocol, str) else None


def _endpoint_of_options(node) -> str | None:
    options = node.operand("storage_options") if "storage_options" in node._parameters else None
    options = options if isinstance(options, dict) else {}
    endpoint = (options.get("client_kwargs") or {}).get("endpoint_url") or options.get(
        "endpoint_url"
    )
    if endpoint is None and "filesystem" in node._parameters:
        fs = node.operand("filesystem")
        kwargs = getattr(fs, "client_kwargs", None) or {}
        endpoint = kwargs.get("endpoint_url") or getattr(fs, "endpoint_url", None)
    return endpoint if isinstance(endpoint, str) else None


def _files_of(iterables, storage_of: StorageOf) -> Iterator[tuple[str | None, str | None]]:
    """``(url, endpoint)`` of the files a ``FromMap`` node's calls read.

    Every item: a list of paths may name two sites anywhere in it (lumi's files
    after 100 of central's), and a reader over two sites must be refused, not
    placed at the first one. Finding an item's file and matching its URL is
    cheap next to reading the file (``locations.frame_inputs`` dedupes URLs)."""
    for iterable in iterables if isinstance(iterables, (list, tuple)) else ():
        items = iterable if isinstance(iterable, (list, tuple)) else ()
        for item in items:
            found = storage_of(item)
            if found:
                yield found


def _label(node) -> str | None:
    """``read-csv`` → ``read_csv``: the reader's own label, when it has one."""
    label = node.operand("label") if "label" in node._parameters else None
    return label.replace("-", "_") if isinstance(label, str) else None
