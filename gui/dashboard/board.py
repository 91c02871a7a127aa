"""The app's dashboards, Qt-free: one mirror table per dashboard_sink of the open
topology, fed the changes the run's worker sends (at most twice a second), and what
each view draws from it (reference §11). The panels (``qt_panels``) only paint these.

- kpi: a field of the newest row as a big number, its change against the same key's
  row of the previous window (while the newest window is still open, against what the
  previous one held at the same point of its time: a minute 12 s old is compared with the
  first 12 s of the one before, not with all of it), and a sparkline of the key's values;
- bars: one bar per key of the newest window (or per key, without windows), largest
  first; values that are missing or not numbers last, shown as "–";
- line: one line per key over window_start (without windows: over arrival time);
- table: every row, newest window first.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from engine.model.topology import Topology
from engine.runtime.dashboard import (
    DEFAULT_MAX_ROWS,
    IDENTITY_FIELDS,
    VIEWS,
    DashboardTable,
    is_number,
    numeric_fields,
)

NO_VALUE = "–"


@dataclass(frozen=True)
class DashboardSpec:
    """One dashboard_sink's params, as the panels read them."""

    node_id: str
    title: str
    view: str = "table"
    fields: tuple[str, ...] = ()
    max_rows: int = DEFAULT_MAX_ROWS

    @classmethod
    def of(cls, node_id: str, params: dict) -> DashboardSpec:
        p = params if isinstance(params, dict) else {}
        view = p.get("view") if p.get("view") in VIEWS else "table"
        fields = p.get("fields")
        fields = tuple(f for f in fields if isinstance(f, str)) if isinstance(fields, list) else ()
        max_rows = p.get("max_rows")
        max_rows = (
            max_rows
            if isinstance(max_rows, int) and not isinstance(max_rows, bool) and max_rows > 0
            else DEFAULT_MAX_ROWS
        )
        title = p.get("title") if isinstance(p.get("title"), str) and p.get("title") else node_id
        return cls(node_id, title, view, fields, max_rows)


def dashboard_specs(topology: Topology) -> list[DashboardSpec]:
    """The dashboards of a topology, in the file's order."""
    return [
        DashboardSpec.of(n.id, n.params)
        for n in topology.nodes.values()
        if n.type == "dashboard_sink"
    ]


class DashboardBoard:
    """The rows of every dashboard of the open topology, as the run's workers sent them.

    A run of several instances sends each instance's changes tagged ``"instance"``
    (``engine.runtime.worker.instances``); the board shows the union of their rows and notes
    which instance last wrote each row, so one instance's whole-table resend or dropped
    rows touch only the rows it owns. A row goes to whichever instance sends a new value
    for it (its partition moved there), and a stopped instance's rows stay until another
    takes them over, as one instance's rows stay after Stop. Untagged changes (one
    instance) all belong to one owner: the behaviour of a single worker.
    """

    def __init__(self) -> None:
        self.tables: dict[str, DashboardTable] = {}
        self.owners: dict[str, dict[tuple, object]] = {}  # node_id -> row id -> instance
        self.updated_at: float | None = None

    def table(self, node_id: str, max_rows: int = DEFAULT_MAX_ROWS) -> DashboardTable:
        table = self.tables.get(node_id)
        if table is None:
            table = self.tables[node_id] = DashboardTable(max_rows, history=True)
        return table

    def apply(self, changes: dict[str, dict]) -> list[str]:
        """Apply the worker's ``{node_id: changes}``; returns the dashboards that changed."""
        for node_id, change in changes.items():
            self._apply(node_id, change)
        if changes:
            self.updated_at = time.time()
        return list(changes)

    def _apply(self, node_id: str, change: dict) -> None:
        """One instance's changes to one dashboard, touching only the rows it owns."""
        table = self.table(node_id)
        owners = self.owners.setdefault(node_id, {})
        instance = change.get("instance")
        reset = bool(change.get("reset"))
        if reset:  # that instance's whole table follows: its other rows are gone
            for rid in [rid for rid, owner in owners.items() if owner == instance]:
                del owners[rid]
                table.remove(*rid)
        for key, ws in change.get("removed", ()):
            if owners.get((key, ws), instance) == instance:
                owners.pop((key, ws), None)
                table.remove(key, ws)
        for key, ws, value in change.get("rows", ()):
            rid = (key, ws)
            # A resend repeats what the instance holds, perhaps rows whose partition has
            # since moved on: it takes no row another instance owns. A new value does.
            if reset and owners.get(rid, instance) != instance and table.get(key, ws) is not None:
                continue
            owners[rid] = instance
            table.put(key, ws, value)
        table.updated_at = time.time()
        if len(owners) > 2 * table.max_rows:  # rows evicted past max_rows: forget their owners
            self.owners[node_id] = {
                rid: o for rid, o in owners.items() if table.get(*rid) is not None
            }

    def rename(self, old: str, new: str) -> None:
        if old in self.tables:
            self.tables[new] = self.tables.pop(old)
        if old in self.owners:
            self.owners[new] = self.owners.pop(old)

    def clear(self) -> None:
        self.tables.clear()
        self.owners.clear()
        self.updated_at = None


# -- what the views draw -----------------------------------------------------------------


def shown_fields(spec: DashboardSpec, table: DashboardTable, numeric: bool = True) -> list[str]:
    """The fields a panel shows: the param, else every numeric field of the newest row
    (for a table, every field of it but the row's identity)."""
    if spec.fields:
        return list(spec.fields)
    latest = table.latest()
    if latest is None:
        return []
    value = latest[2]
    if numeric:
        return numeric_fields(value)
    return [name for name in value if name not in IDENTITY_FIELDS]


def number(value: dict | None, field: str) -> float | None:
    v = value.get(field) if isinstance(value, dict) else None
    return v if is_number(v) else None


@dataclass
class Kpi:
    field: str
    key: str
    value: float | None
    previous: float | None  # the same key's value in the previous window (at the same point)
    window_start: int | None
    spark: list[tuple[float, float]]
    partial: bool = False  # the newest window is open: compared at the same elapsed time

    @property
    def change(self) -> float | None:
        """Relative change against the previous window (0.25 = +25 %); None when unknown."""
        if self.value is None or self.previous is None or self.previous == 0:
            return None
        return (self.value - self.previous) / abs(self.previous)


def kpis(spec: DashboardSpec, table: DashboardTable, now_ms: float | None = None) -> list[Kpi]:
    """One tile per shown field (the first numeric field when none is named)."""
    latest = table.latest()
    fields = shown_fields(spec, table)
    if not spec.fields:
        fields = fields[:1]
    if latest is None:
        return [Kpi(f, "", None, None, None, []) for f in fields]
    key, ws, value = latest
    series = table.series(key)
    previous_value = None
    partial = False
    if ws is not None:
        earlier = [(t, v) for t, v in series if t * 1000 < ws]
        if earlier:
            previous_ws = round(earlier[-1][0] * 1000)
            previous_value = earlier[-1][1]
            end = value.get("window_end")
            if not is_number(end):
                end = ws + (ws - previous_ws)  # windows of one size, one after the other
            now_ms = time.time() * 1000 if now_ms is None else now_ms
            if now_ms < end:  # still open: the previous window as it was at the same point
                partial = True
                previous_value = table.value_at(key, previous_ws, previous_ws + (now_ms - ws))
    out = []
    for f in fields:
        spark = [(t, n) for t, v in series if (n := number(v, f)) is not None]
        out.append(Kpi(f, key, number(value, f), number(previous_value, f), ws, spark, partial))
    return out


def bars(
    spec: DashboardSpec, table: DashboardTable
) -> tuple[str, list[tuple[str, float | None]], int | None]:
    """(field, [(key, value)] largest first, the window shown or None)."""
    fields = shown_fields(spec, table)
    field = fields[0] if fields else ""
    ws = table.newest_window()
    rows = table.window_rows(ws)
    values = [(key, number(value, field)) for key, value in rows]
    values.sort(key=lambda kv: (kv[1] is None, -(kv[1] or 0.0), kv[0]))
    return field, values, ws


def lines(
    spec: DashboardSpec, table: DashboardTable
) -> tuple[str, dict[str, tuple[list[float], list[float]]]]:
    """(field, {key: (times in s, values)}) — a missing value is a gap (NaN)."""
    fields = shown_fields(spec, table)
    field = fields[0] if fields else ""
    out = {}
    for key in table.row_keys():
        xs, ys = [], []
        for t, value in table.series(key):
            n = number(value, field)
            xs.append(t)
            ys.append(math.nan if n is None else n)
        out[key] = (xs, ys)
    return field, out


def table_rows(spec: DashboardSpec, table: DashboardTable) -> tuple[list[str], list[tuple]]:
    """(field columns, [(key, window_start, value)]) newest window first, then by key."""
    fields = shown_fields(spec, table, numeric=False)
    rows = table.rows()
    rows.sort(key=lambda r: (-(r[1] if r[1] is not None else -math.inf), r[0]))
    return fields, rows


def format_value(value) -> str:
    """A number as a dashboard shows it: thousands separated, few decimals; "–" for
    anything that is not a number (missing fields, text where a number belongs)."""
    if not is_number(value):
        return NO_VALUE
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def format_cell(value) -> str:
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_value(value)
    return str(value)


def format_change(change: float | None) -> str:
    if change is None:
        return ""
    arrow = "▲" if change > 0 else "▼" if change < 0 else "•"
    return f"{arrow} {abs(change) * 100:.1f}%"


def window_label(ws: int | None) -> str:
    if ws is None:
        return ""
    return time.strftime("%H:%M", time.localtime(ws / 1000))
