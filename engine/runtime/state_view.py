"""Browsing the state of aggregate and join nodes, read-only (SPEC §10).

``state_page(node, stores, query)`` reads the stores of one stateful node (a live run's,
in the worker, or a test run's) and returns one page of rows: windows per key with their
bounds and current values, open sessions, the table side of a stream-table join, the
records a stream-stream join keeps. It only reads: store keys are listed (``items()``
copies them), filtered by key and sorted from the key text alone, and only the entries of
the page asked for are turned into rows, so a page of a large store costs little of the
run's time.

The layout read here is the operators' (``aggregate``, ``sessions``, ``join``; see their
docstrings); an entry this module does not know is shown as it is, never an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from engine.model.topology import Node
from engine.runtime.operators.aggregations import STREAM_TIME, Aggregations

MAX_PAGE_SIZE = 1000
_SORT = itemgetter(0, 1, 2, 3, 4)
STATEFUL_TYPES = ("aggregate", "join")


def is_browsable(node: Node) -> bool:
    return node.type in STATEFUL_TYPES


def _key_text(key_json: str) -> str:
    """A group key as shown: text as itself, anything else as its JSON."""
    try:
        key = json.loads(key_json)
    except ValueError:
        return key_json
    return key if isinstance(key, str) else key_json


def _layout(node: Node) -> tuple[str, list[str]]:
    """(kind, columns) of a node's rows."""
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


_PREFIX = {"keys": "k:", "windows": "w:", "sessions": "s:", "table": "t:"}


def _scan(kind: str, store, partition: int, needle: str, found: list, stream_time: dict) -> None:
    """Appends ``(key json, number, side, partition, store key, entry)`` for each row of
    ``store``: keys are matched and sorted on their JSON text, never decoded here (decoding
    every key was most of a page's cost)."""
    prefix = _PREFIX.get(kind)
    append = found.append
    for store_key, entry in store.items():
        if prefix is not None:
            if not store_key.startswith(prefix):
                if store_key == STREAM_TIME:
                    stream_time[partition] = entry
                continue
            rest = store_key[2:]
            if kind == "windows":
                start, _, key = rest.partition(":")
            elif kind == "sessions":
                key, _, start = rest.rpartition(":")
            else:
                key, start = rest, "0"
            extra = ""
        elif store_key[:2] in ("L:", "R:"):
            last = store_key.rindex(":")
            middle = store_key.rindex(":", 0, last)
            key, start, extra = store_key[2:middle], store_key[middle + 1:last], store_key[0]
        else:
            if store_key == STREAM_TIME:
                stream_time[partition] = entry
            continue
        if needle and needle not in key.lower():
            continue
        append((key, _int(start), extra, partition, store_key, entry))


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def state_page(node: Node, stores: Iterable[tuple[int, Any]], search: str = "", page: int = 0,
               page_size: int = MAX_PAGE_SIZE) -> dict:
    """One page of the state of ``node``, from its stores ``(partition, store)``.

    ``search`` keeps rows whose key (as JSON text) contains it, case-insensitive; rows are
    sorted by that text, then window start. Returns
    ``{"node", "kind", "columns", "rows", "total", "page", "pages", "page_size",
    "stream_time": {partition: ms}}``; each row is a list of JSON values, the partition
    first (column "partition" is prepended)."""
    kind, columns = _layout(node)
    page_size = max(1, min(int(page_size or MAX_PAGE_SIZE), MAX_PAGE_SIZE))
    needle = search.strip().lower()
    found: list[tuple[str, int, str, int, str, Any]] = []
    stream_time: dict[int, int] = {}
    for partition, store in stores:
        _scan(kind, store, partition, needle, found, stream_time)
    found.sort(key=_SORT)
    total = len(found)
    pages = max(1, -(-total // page_size))
    page = max(0, min(int(page), pages - 1))
    chosen = found[page * page_size:(page + 1) * page_size]
    results = _results_of(node) if node.type == "aggregate" else None
    rows = [[partition, *_row(kind, _key_text(key_json), extra, entry, results)]
            for key_json, _n, extra, partition, _k, entry in chosen]
    return {"node": node.id, "kind": kind, "columns": ["partition", *columns], "rows": rows,
            "total": total, "page": page, "pages": pages, "page_size": page_size,
            "stream_time": stream_time}


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
    if kind == "buffers":
        return ["left" if extra == "L" else "right", key_text, entry.get("t"), entry.get("v"),
                bool(entry.get("m"))]
    values = results(entry.get("a"))
    if kind == "keys":
        return [key_text, *values, entry.get("t")]
    if kind == "sessions":
        return [key_text, entry.get("s"), entry.get("e"), *values]
    return [key_text, entry.get("s"), entry.get("e"), *values, entry.get("t")]


def stores_of(stores: dict, node_id: str) -> list[tuple[int, Any]]:
    """The ``(partition, store)`` of ``node_id`` in a run's ``{(node, partition): store}``
    (copied first: the run may open or drop stores meanwhile)."""
    return sorted(((p, s) for (n, p), s in list(stores.items()) if n == node_id),
                  key=lambda item: item[0])


def state_reply(topology, stores: dict, request: dict) -> dict:
    """The answer to a state request ``{"id", "node", "search", "page", "page_size"}`` of the
    app, from a run's ``{(node, partition): store}``: a page, or ``{"error": sentence}``."""
    node = topology.nodes.get(request.get("node"))
    reply: dict = {"id": request.get("id"), "node": request.get("node")}
    if node is None or not is_browsable(node):
        reply["error"] = f"'{request.get('node')}' is not an aggregate or join node of this run"
        return reply
    try:
        reply.update(state_page(node, stores_of(stores, node.id), str(request.get("search") or ""),
                                int(request.get("page") or 0),
                                int(request.get("page_size") or MAX_PAGE_SIZE)))
    except Exception as exc:  # noqa: BLE001 - a bad request must not end the run
        reply["error"] = f"the state of '{node.id}' could not be read ({type(exc).__name__}: {exc})"
    return reply
