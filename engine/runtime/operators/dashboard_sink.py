"""dashboard_sink: keeps the latest value of each row for the app's dashboards and the
run's final metrics (reference §11; rows in ``engine.runtime.dashboard``).

Bad input never stops it: a value without a field the dashboard shows, or with text
where its view draws a number, is kept as it is (the panel shows "–") and told once
per field on the console (the app's run log).
"""

from __future__ import annotations

from engine.runtime.dashboard import (
    DEFAULT_MAX_ROWS,
    as_row_value,
    is_number,
    window_start_of,
)
from engine.runtime.operators.base import Record, key_to_text


def get_executor(node, ctx, children):
    params = node.params
    node_id = node.id
    table = ctx.dashboards.table(node_id, params.get("max_rows") or DEFAULT_MAX_ROWS)
    metrics = ctx.metrics[node_id]
    fields = tuple(params.get("fields") or ())
    numeric = params.get("view", "table") != "table"  # kpi, bars and line draw numbers
    told: set[tuple[str, str]] = set()
    put, remove = table.put, table.remove

    def notice(field: str, problem: str, text: str) -> None:
        if (field, problem) not in told:
            told.add((field, problem))
            ctx.console(node_id, f"notice: {text}; the dashboard shows it as '–'")

    def check(value: dict) -> None:
        for field in fields:
            if field not in value:
                notice(field, "missing", f"field '{field}' is missing from a record")
            elif numeric and not is_number(value[field]) and value[field] is not None:
                notice(
                    field,
                    "number",
                    f"field '{field}' is not a number "
                    f"({type(value[field]).__name__} {str(value[field])[:40]!r})",
                )

    def process(record: Record) -> None:
        metrics.in_ += 1
        try:
            key = key_to_text(record.key)
            value = record.value
            if value is None:  # a tombstone: the row goes (a retracted session names its window)
                if remove(key, window_start_of(None, record.headers)):
                    metrics.out += 1
                return
            row = as_row_value(value)
            if fields and len(told) < 2 * len(fields):
                check(row)
            put(key, window_start_of(row), row)
            metrics.out += 1
        except Exception as exc:  # noqa: BLE001 - a dashboard never fails a run
            notice(
                "", type(exc).__name__, f"a record could not be shown ({type(exc).__name__}: {exc})"
            )

    return process
