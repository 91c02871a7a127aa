"""Browsing the state of aggregate, join and table nodes, read-only (reference §13).

``state_page(node, stores, query)`` reads the stores of one stateful node (a live run's,
in the worker, or a test run's) and returns one page of rows: windows per key with their
bounds and current values, open sessions, the table side of a stream-table join, a table's rows, the
records a stream-stream join keeps. It only reads: store keys are listed (``items()``
copies them), filtered by key and sorted from the key text alone, and only the entries of
the page asked for are turned into rows, so a page of a large store costs little of the
run's time.

The layout read here is the operators' (``aggregate``, ``sessions``, ``join``; see their
docstrings); an entry this module does not know is shown as it is, never an error.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

from engine.model.topology import Node
from engine.runtime.operators.aggregations import STREAM_TIME, Aggregations

MAX_PAGE_SIZE = 1000
STATEFUL_TYPES = (
    "aggregate",
    "join",
    "table_source",
    "to_table",
    "table_join",
    "table_aggregate",
)


def is_browsable(node: Node) -> bool:
    return node.type in STATEFUL_TYPES


def _key_text(key_json: str) -> str:
    """A group key as shown: text as itself, anything else as its JSON."""
    if key_json[:1] == '"' and key_json[-1:] == '"' and "\\" not in key_json:
        return key_json[1:-1]
    if key_json[:1] != '"':
        return key_json
    try:
        key = json.loads(key_json)
    except ValueError:
        return key_json
    return key if isinstance(key, str) else key_json


def _layout(node: Node) -> tuple[str, list[str]]:
    """(kind, columns) of a node's rows."""
    if node.type in ("table_source", "to_table"):
        return "table", ["key", "value"]
    if node.type == "table_join":
        return "sides", ["side", "key", "timestamp", "value"]
    if node.type == "join":
        if node.params.get("window") in (None, ""):
            return "table", ["key", "value"]
        return "buffers", ["side", "key", "timestamp", "value", "matched"]
    names = [a.get("name", "") for a in node.params.get("aggregations", [])]
    window = (node.params.get("window") or {}).get("type", "none")
    if window == "none":
        return "keys", ["key", *names, "last timestamp"]
    if window == "session":
        return "sessions", ["key", "session_start", "session_end", *names]
    return "windows", ["key", "window_start", "window_end", *names, "last timestamp"]


_PREFIXES = {
    "keys": ("k:",),
    "windows": ("w:",),
    "sessions": ("s:",),
    "table": ("t:",),
    "buffers": ("L:", "R:"),
    "sides": ("l:", "r:"),
}


def _key_json(kind: str, store_key: str) -> str:
    """The group key's JSON text inside a store key of the node's layout."""
    if kind == "windows":  # w:<start>:<key>
        return store_key[store_key.index(":", 2) + 1 :]
    if kind == "sessions":  # s:<key>:<start>
        return store_key[2 : store_key.rindex(":")]
    if kind == "buffers":  # L:<key>:<ts>:<n>
        return store_key[2 : store_key.rindex(":", 0, store_key.rindex(":"))]
    return store_key[2:]


def _rows_in(kind: str, store, needle: str) -> list[tuple[str, Any]]:
    """The ``(store key, entry)`` rows of one store, in store-key order. The sort and the
    prefix ranges run in C: no Python work per entry unless searching (a page of a store
    of 12,000 windows costs a few milliseconds of the run's time)."""
    items = sorted(store.items())  # keys are unique: entries are never compared
    rows: list[tuple[str, Any]] = []
    for prefix in _PREFIXES[kind]:
        after = prefix[0] + chr(ord(prefix[1]) + 1)
        part = items[bisect_left(items, (prefix,)) : bisect_left(items, (after,))]
        if needle:
            part = [item for item in part if needle in _key_json(kind, item[0]).lower()]
        rows += part
    return rows


def state_page(
    node: Node,
    stores: Iterable[tuple[int, Any]],
    search: str = "",
    page: int = 0,
    page_size: int = MAX_PAGE_SIZE,
) -> dict:
    """One page of the state of ``node``, from its stores ``(partition, store)``.

    ``search`` keeps rows whose key (as JSON text) contains it, case-insensitive. Rows go
    by partition, then store key: windows by start then key (starts are epoch milliseconds,
    all of the same length), sessions and table rows by key. Returns
    ``{"node", "kind", "columns", "rows", "total", "page", "pages", "page_size",
    "stream_time": {partition: ms}}``; each row is a list of JSON values, the partition
    first (column "partition" is prepended)."""
    kind, columns = _layout(node)
    page_size = max(1, min(int(page_size or MAX_PAGE_SIZE), MAX_PAGE_SIZE))
    needle = search.strip().lower()
    per_partition = []
    stream_time: dict[int, int] = {}
    for partition, store in stores:
        t = store.get(STREAM_TIME)
        if t is not None:
            stream_time[partition] = t
        per_partition.append((partition, _rows_in(kind, store, needle)))
    total = sum(len(rows) for _, rows in per_partition)
    pages = max(1, -(-total // page_size))
    page = max(0, min(int(page), pages - 1))
    skip = page * page_size
    chosen: list[tuple[int, str, Any]] = []
    for partition, rows in per_partition:
        if skip >= len(rows):
            skip -= len(rows)
            continue
        chosen += [(partition, k, v) for k, v in rows[skip : skip + page_size - len(chosen)]]
        skip = 0
        if len(chosen) >= page_size:
            break
    results = _results_of(node) if node.type in ("aggregate", "table_aggregate") else None
    out = [
        [partition, *_row(kind, _key_text(_key_json(kind, k)), k[0], entry, results)]
        for partition, k, entry in chosen
    ]
    return {
        "node": node.id,
        "kind": kind,
        "columns": ["partition", *columns],
        "rows": out,
        "total": total,
        "page": page,
        "pages": pages,
        "page_size": page_size,
        "stream_time": stream_time,
    }


def _results_of(node: Node):
    """A function from an entry's aggregation states to their results."""
    functions = Aggregations(node.params.get("aggregations", [])).results

    def results(states: Any) -> list:
        if not isinstance(states, list) or len(states) != len(functions):
            return [states] + [None] * (len(functions) - 1) if functions else []
        out = []
        for result, state in zip(functions, states):
            try:
                out.append(result(state))
            except Exception:  # noqa: BLE001 - a state this version does not read: show it raw
                out.append(state)
        return out

    return results


def _row(kind: str, key_text: str, extra: str, entry: Any, results) -> list:
    if not isinstance(entry, dict):
        return [key_text, entry]
    if kind == "table":
        return [key_text, entry]
    if kind == "sides":
        return ["left" if extra == "l" else "right", key_text, entry.get("t"), entry.get("v")]
    if kind == "buffers":
        return [
            "left" if extra == "L" else "right",
            key_text,
            entry.get("t"),
            entry.get("v"),
            bool(entry.get("m")),
        ]
    values = results(entry.get("a"))
    if kind == "keys":
        return [key_text, *values, entry.get("t")]
    if kind == "sessions":
        return [key_text, entry.get("s"), entry.get("e"), *values]
    return [key_text, entry.get("s"), entry.get("e"), *values, entry.get("t")]


def stores_of(stores: dict, node_id: str) -> list[tuple[int, Any]]:
    """The ``(partition, store)`` of ``node_id`` in a run's ``{(node, partition): store}``
    (copied first: the run may open or drop stores meanwhile)."""
    return sorted(
        ((p, s) for (n, p), s in list(stores.items()) if n == node_id), key=lambda item: item[0]
    )


def state_reply(topology, stores: dict, request: dict) -> dict:
    """The answer to a state request ``{"id", "node", "search", "page", "page_size"}`` of the
    app, from a run's ``{(node, partition): store}``: a page, or ``{"error": sentence}``."""
    node = topology.nodes.get(request.get("node"))
    reply: dict = {"id": request.get("id"), "node": request.get("node")}
    if node is None or not is_browsable(node):
        reply["error"] = (
            f"'{request.get('node')}' is not an aggregate, join or table node of this run"
        )
        return reply
    try:
        reply.update(
            state_page(
                node,
                stores_of(stores, node.id),
                str(request.get("search") or ""),
                int(request.get("page") or 0),
                int(request.get("page_size") or MAX_PAGE_SIZE),
            )
        )
    except Exception as exc:  # noqa: BLE001 - a bad request must not end the run
        reply["error"] = f"the state of '{node.id}' could not be read ({type(exc).__name__}: {exc})"
    return reply
