"""Whether each stateful node's state survives a change of the topology (reference §7.5).

What a node keeps is the runtime's (engine/runtime/operators): an aggregate keeps, per
partition and group key, one entry per window (``k:``, ``w:`` or ``s:`` keys by window
kind) holding the state of each aggregation *by its place in the list*, plus the stream
time; a table join keeps the right side's latest value per key, a stream-stream join each
side's records per key and time, a ``table_source`` or ``to_table`` its table's latest value
per key, a ``table_aggregate`` its groups as an unwindowed aggregate's and its input rows (in
``<app>-<node>.rows-changelog``), a ``table_join`` both sides' rows (whatever its mode: the mode only decides what
it emits). All of it is in ``<app>-<node>-changelog``
(``engine.model.internal_topics``), read back by whichever run uses that name.

- ``kept``: the new topology reads the same changelog and means the same by it.
- ``reset``: the state is lost or meaningless: its topics change name (the node or the
  application is renamed, the node removed or made stateless), or what it was folded by changes (window
  type, size or advance; the group key, by ``group_by`` or upstream; the aggregations
  added, removed or reordered; a join's window or mode; its inputs' keys).
- ``incompatible``: the changelog keeps its name, but what is stored in it would be read
  wrongly: the node becomes another stateful type, or an aggregation keeps its name and
  place but changes its function (a sum's number read as an avg's pair).

When the application id changes every source gets a ``reset`` too: the new consumer group
has no committed offsets, so the inputs are read again from their ``start``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.model.catalogue import NODE_TYPES
from engine.model.durations import parse_duration
from engine.model.graph_order import topological_order
from engine.model.internal_topics import (
    SOURCE_TYPES,
    changelog_topic,
    incoming_edges,
    internal_topics_by_node,
)
from engine.model.topology import Node, Topology


class Verdict(StrEnum):
    KEPT = "kept"
    RESET = "reset"
    INCOMPATIBLE = "incompatible"


@dataclass
class StateVerdict:
    node_id: str
    verdict: Verdict
    reason: str
    topics: list[str] = field(default_factory=list)


def state_verdicts(
    old: Topology, new: Topology, renamed: dict[str, str]
) -> dict[str, StateVerdict]:
    """{node id (the new one; the old one for a removed node): its verdict}."""
    old_topics = internal_topics_by_node(old)
    new_topics = internal_topics_by_node(new)
    old_keys, new_keys = _KeyLineage(old), _KeyLineage(new)
    back = {nid: oid for oid, nid in renamed.items()}
    out: dict[str, StateVerdict] = {}
    app_changed = old.name != new.name

    for oid, gone in old.nodes.items():
        now = new.nodes.get(oid)
        if not _stateful(gone) or oid in renamed or (now is not None and _stateful(now)):
            continue
        how = "removed" if now is None else f"now a {now.type}, which keeps no state"
        out[oid] = StateVerdict(
            oid,
            Verdict.RESET,
            f"{how}: the state it kept in {_list(old_topics.get(oid, []))} is no longer read",
            old_topics.get(oid, []),
        )

    for nid, n in new.nodes.items():
        if not _stateful(n):
            continue
        topics_now = new_topics.get(nid, [])
        oid = back.get(nid, nid)
        o = old.nodes.get(oid)
        before = old_topics.get(oid, [])
        both = _union(before, topics_now)
        if o is None:
            out[nid] = StateVerdict(nid, Verdict.KEPT, "added: its state starts empty", topics_now)
        elif oid != nid:
            out[nid] = StateVerdict(
                nid,
                Verdict.RESET,
                f"renamed from '{oid}': its state stays in {changelog_topic(old.name, oid)}, "
                f"the new topology keeps it in {changelog_topic(new.name, nid)}, empty",
                both,
            )
        elif app_changed:
            out[nid] = StateVerdict(
                nid,
                Verdict.RESET,
                f"the application id changes from '{old.name}' to '{new.name}': its state "
                f"stays in {changelog_topic(old.name, oid)}, the new topology keeps it in "
                f"{changelog_topic(new.name, nid)}, empty",
                both,
            )
        elif not _stateful(o):
            out[nid] = StateVerdict(
                nid, Verdict.KEPT, f"was a {o.type}, now keeps state: it starts empty", topics_now
            )
        elif o.type != n.type:
            out[nid] = StateVerdict(
                nid,
                Verdict.INCOMPATIBLE,
                f"its type changes from {o.type} to {n.type} while its changelog "
                f"{changelog_topic(new.name, nid)} keeps its name: the {n.type} would read "
                f"the {o.type}'s state",
                both,
            )
        else:
            out[nid] = _same_node(o, n, old_keys, new_keys, both, old, new)

    if app_changed:
        for nid, n in new.nodes.items():
            if n.type in SOURCE_TYPES and isinstance(n.params.get("topic"), str):
                out[nid] = StateVerdict(
                    nid,
                    Verdict.RESET,
                    f"the application id changes from '{old.name}' to '{new.name}': the "
                    f"consumer group '{new.name}' has no committed offsets, so "
                    f"'{n.params['topic']}' is read again from its "
                    f"{n.params.get('start', 'earliest')}",
                    [n.params["topic"]],
                )
    return out


def _same_node(
    o: Node,
    n: Node,
    old_keys: _KeyLineage,
    new_keys: _KeyLineage,
    topics: list[str],
    old: Topology,
    new: Topology,
) -> StateVerdict:
    reset: list[str] = []
    broken: list[str] = []
    notes: list[str] = []
    if n.type == "aggregate":
        _aggregate(o.params, n.params, reset, broken, notes)
        grouped_by_key = not n.params.get("group_by")
        if not reset and grouped_by_key and old_keys.input_key(o.id) != new_keys.input_key(n.id):
            reset.append("the key it groups by (its input's key) changes upstream")
    elif n.type == "join":
        _join(o.params, n.params, reset, notes)
        for port in ("left", "right"):
            if old_keys.input_key(o.id, port) != new_keys.input_key(n.id, port):
                reset.append(f"the key of its {port} input changes upstream")
    elif n.type == "table_aggregate":
        if o.params.get("group_by") != n.params.get("group_by"):
            reset.append(
                f"group_by changes from {_show(o.params.get('group_by'))} to "
                f"{_show(n.params.get('group_by'))}: the rows are in other groups"
            )
        _aggregations(
            o.params.get("aggregations"), n.params.get("aggregations"), reset, broken, notes
        )
        if old_keys.input_key(o.id) != new_keys.input_key(n.id):
            reset.append("the key of its input rows changes upstream")
    elif n.type == "table_join":
        if o.params.get("mode", "inner") != n.params.get("mode", "inner"):
            notes.append(f"the mode changes to {n.params.get('mode', 'inner')}")
        if o.params.get("expr") != n.params.get("expr"):
            notes.append("its output expression changes")
        for port in ("left", "right"):
            if old_keys.input_key(o.id, port) != new_keys.input_key(n.id, port):
                reset.append(f"the key of its {port} input changes upstream")
    elif n.type == "table_source":
        for param, default in (("topic", None), ("key_format", "string")):
            if o.params.get(param, default) != n.params.get(param, default):
                reset.append(
                    f"its {param} changes from {_show(o.params.get(param, default))} to "
                    f"{_show(n.params.get(param, default))}: the rows it keeps are another table's"
                )
    elif n.type == "to_table" and old_keys.input_key(o.id) != new_keys.input_key(n.id):
        reset.append("the key of its input changes upstream")
    for setting in ("state_store", "state_dir"):
        if old.settings.get(setting) != new.settings.get(setting):
            notes.append(f"{setting} changes: the new store is restored from its changelog")
    if broken:
        return StateVerdict(n.id, Verdict.INCOMPATIBLE, "; ".join(broken + reset), topics)
    if reset:
        return StateVerdict(n.id, Verdict.RESET, "; ".join(reset), topics)
    where = changelog_topic(new.name, n.id)
    reason = f"its state in {where} is kept; " + "; ".join(notes) if notes else "unchanged"
    return StateVerdict(n.id, Verdict.KEPT, reason, topics)


def _aggregate(a: dict, b: dict, reset: list[str], broken: list[str], notes: list[str]) -> None:
    if (a.get("group_by") or None) != (b.get("group_by") or None):
        reset.append(
            f"group_by changes from {_show(a.get('group_by'))} to {_show(b.get('group_by'))}"
        )
    wa, wb = _window(a.get("window")), _window(b.get("window"))
    if wa[0] != wb[0]:
        reset.append(f"the window type changes from {wa[0]} to {wb[0]}")
    else:
        for i, what in ((1, "size"), (2, "advance")):
            if wa[i] != wb[i] and wa[0] in ("tumbling", "hopping"):
                if what == "advance" and wa[0] == "tumbling":
                    continue
                raw = (a.get("window") or {}).get(what), (b.get("window") or {}).get(what)
                reset.append(f"the window {what} changes from {_show(raw[0])} to {_show(raw[1])}")
        if wa[3] != wb[3]:
            notes.append("the session gap changes")
        if wa[4] != wb[4]:
            notes.append("the window grace changes")
    if a.get("emit", "update") != b.get("emit", "update"):
        notes.append(f"emit changes to {b.get('emit', 'update')}")
    _aggregations(a.get("aggregations"), b.get("aggregations"), reset, broken, notes)


def _aggregations(a: Any, b: Any, reset: list[str], broken: list[str], notes: list[str]) -> None:
    old, new = _aggs(a), _aggs(b)
    old_names, new_names = [x[0] for x in old], [x[0] for x in new]
    if old_names == new_names:
        for (name, fa, ea), (_, fb, eb) in zip(old, new, strict=True):
            if fa != fb:
                broken.append(
                    f"the aggregation '{name}' changes from {fa} to {fb} in the same place: "
                    f"the {fb} would read the {fa}'s stored state"
                )
            elif ea != eb:
                notes.append(f"the aggregation '{name}' folds a new expression into its results")
    elif sorted(old_names) == sorted(new_names):
        reset.append(f"the aggregations are reordered ({', '.join(new_names)})")
    elif len(old) == len(new) and all(x[1] == y[1] for x, y in zip(old, new, strict=True)):
        pairs = [f"{x[0]} → {y[0]}" for x, y in zip(old, new, strict=True) if x[0] != y[0]]
        notes.append(f"aggregations renamed ({', '.join(pairs)})")
    else:
        added = [x for x in new_names if x not in old_names]
        removed = [x for x in old_names if x not in new_names]
        said = [f"added: {', '.join(added)}"] if added else []
        said += [f"removed: {', '.join(removed)}"] if removed else []
        reset.append(f"aggregations change ({'; '.join(said) or 'replaced'})")


def _join(a: dict, b: dict, reset: list[str], notes: list[str]) -> None:
    if a.get("mode", "inner") != b.get("mode", "inner"):
        reset.append(f"the mode changes from {a.get('mode', 'inner')} to {b.get('mode', 'inner')}")
    if _ms(a.get("window")) != _ms(b.get("window")):
        reset.append(
            f"the window changes from {_show(a.get('window'), 'none (a table)')} "
            f"to {_show(b.get('window'), 'none (a table)')}"
        )
    for side in ("before", "after"):
        if _ms(a.get(side)) != _ms(b.get(side)):
            reset.append(
                f"'{side}' changes from {_show(a.get(side), 'the window')} "
                f"to {_show(b.get(side), 'the window')}"
            )
    if _ms(a.get("grace")) != _ms(b.get("grace")):
        notes.append("the grace changes")
    if a.get("expr") != b.get("expr"):
        notes.append("its output expression changes")


class _KeyLineage:
    """What the key of the records leaving each node is made of, as a comparable value:
    the source's key format, then each rekey's expression, each aggregate's grouping and
    each join's key, ignoring node ids and stateless steps that keep the key."""

    def __init__(self, topology: Topology):
        self.topology = topology
        self.into = incoming_edges(topology)
        self.key: dict[str, Any] = {}
        order = topological_order(topology.nodes, ((e.source, e.target) for e in topology.edges))
        for nid in order or []:
            node = topology.nodes[nid]
            if node.type in SOURCE_TYPES:
                self.key[nid] = ("source", node.params.get("key_format", "string"))
            elif node.type == "rekey":
                self.key[nid] = ("rekey", node.params.get("expr"), self.input_key(nid))
            elif node.type in ("aggregate", "table_aggregate"):
                group = node.params.get("group_by")
                self.key[nid] = ("group", group) if group else ("group", self.input_key(nid))
            elif node.type in ("join", "table_join"):
                self.key[nid] = ("join", self.input_key(nid, "left"))
            else:
                self.key[nid] = self.input_key(nid)

    def input_key(self, node_id: str, port: str = "in") -> Any:
        keys = {
            repr(key): key
            for key in (
                self.key.get(e.source) for e in self.into.get(node_id, []) if e.target_port == port
            )
        }
        return next(iter(keys.values())) if len(keys) == 1 else ("merge", *sorted(keys))


def _stateful(node: Node) -> bool:
    spec = NODE_TYPES.get(node.type)
    return spec is not None and spec.stateful


def _window(param: Any) -> tuple[str, int | None, int | None, int | None, int | None]:
    """(kind, size, advance, gap, grace) in ms; a hopping window advancing by its size is
    a tumbling one, as the runtime treats it."""
    if not isinstance(param, dict) or param.get("type", "none") == "none":
        return ("none", None, None, None, None)
    kind = param.get("type")
    size, advance = _ms(param.get("size")), _ms(param.get("advance"))
    if kind == "hopping" and size is not None and advance == size:
        kind = "tumbling"
    if kind == "tumbling":
        advance = size
    return (str(kind), size, advance, _ms(param.get("gap")), _ms(param.get("grace")) or 0)


def _ms(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return parse_duration(value)
    except (ValueError, TypeError):
        return None


def _aggs(param: Any) -> list[tuple[Any, Any, Any]]:
    if not isinstance(param, list):
        return []
    """(name, fn, what it folds: the expr, and a reduce's init) of each aggregation."""
    return [
        (a.get("name"), a.get("fn"), (a.get("expr"), a.get("init")))
        for a in param
        if isinstance(a, dict)
    ]


def _show(value: Any, absent: str = "none") -> str:
    return absent if value in (None, "") else repr(value) if not isinstance(value, str) else value


def _list(topics: list[str]) -> str:
    return ", ".join(topics) if topics else "its changelog"


def _union(a: list[str], b: list[str]) -> list[str]:
    return a + [t for t in b if t not in a]
