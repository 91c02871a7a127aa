"""The one-line summary under a node's ports: its main param at a glance (Qt-free)."""

from __future__ import annotations


def node_summary(type_name: str, params: dict) -> str:
    p = params if isinstance(params, dict) else {}
    if type_name == "kafka_source":
        return f"◂ {p.get('topic', '?')}"
    if type_name == "generator_source":
        rate = p.get("rate", 50)
        return (
            f"{p.get('profile', 'orders')} · {rate:g}/s → {p.get('topic', '?')}"
            if isinstance(rate, (int, float))
            else f"{p.get('profile', 'orders')} → {p.get('topic', '?')}"
        )
    if type_name in ("filter", "map", "flat_map", "rekey"):
        return str(p.get("expr", "")).replace("\n", " ")
    if type_name == "set_fields":
        fields = p.get("fields")
        if isinstance(fields, dict) and fields:
            return ", ".join(f"{k} = {v}" for k, v in fields.items())
        return ""
    if type_name == "branch":
        branches = p.get("branches")
        if isinstance(branches, list) and branches:
            first = branches[0] if isinstance(branches[0], dict) else {}
            return str(first.get("expr", ""))
        return ""
    if type_name == "merge":
        return "union of inputs"
    if type_name == "aggregate":
        parts = []
        for agg in p.get("aggregations") or ():
            if isinstance(agg, dict):
                fn = agg.get("fn", "?")
                parts.append(f"{fn}" if fn == "count" else f"{fn}({agg.get('name', '')})")
        window = p.get("window")
        if isinstance(window, dict) and window.get("type", "none") != "none":
            size = window.get("size") or window.get("gap") or ""
            parts.append(f"· {window['type']} {size}".rstrip())
        return " ".join(
            [", ".join(parts[:-1]) if parts and parts[-1].startswith("·") else ", ".join(parts)]
            + ([parts[-1]] if parts and parts[-1].startswith("·") else [])
        )
    if type_name == "join":
        window = p.get("window")
        return f"{p.get('mode', 'inner')} · " + (f"within {window}" if window else "stream ⋈ table")
    if type_name == "kafka_sink":
        return f"▸ {p.get('topic', '?')}"
    if type_name == "console_sink":
        limit = p.get("limit")
        return f"first {limit} records" if limit is not None else "all records"
    if type_name == "file_sink":
        return str(p.get("path", ""))
    if type_name == "dashboard_sink":
        return f"{p.get('view', 'table')} · {p.get('title', '')}"
    return ""
