"""Checks of params that are valid alone but not together, for the stream-processing
features that follow Kafka Streams: a join's ``outer`` mode and ``before``/``after`` need a
window (only a stream-stream join has them); a ``reduce`` with an ``init`` cannot merge
sessions (Kafka Streams asks for a merger there); a reduce's ``init`` must give a value its
state can keep; a table aggregate's aggregations must be ones it can take back (Kafka Streams'
subtractor). ``validation`` calls them for each node."""

from __future__ import annotations

import json
from typing import Any

from engine.model.expressions import INIT_NAMES, compile_expression
from engine.model.problems import Problem


def combination_problems(node_id: str, type_name: str, params: dict) -> list[Problem]:
    problems: list[Problem] = []
    if type_name == "join" and params.get("window") in (None, ""):
        if params.get("mode") == "outer":
            problems.append(
                Problem(
                    node_id,
                    "mode 'outer' needs a window: a stream-table join has no outer mode",
                    param="mode",
                )
            )
        for name in ("before", "after"):
            if params.get(name) is not None:
                problems.append(
                    Problem(
                        node_id,
                        f"{name} needs a window: only a stream-stream join has one",
                        param=name,
                    )
                )
    window = params.get("window")
    aggs = params.get("aggregations")
    if isinstance(aggs, list):
        problems += _subtractors(node_id, type_name, aggs)
    if (
        type_name == "aggregate"
        and isinstance(window, dict)
        and window.get("type") == "session"
        and isinstance(aggs, list)
    ):
        for agg in aggs:
            if isinstance(agg, dict) and agg.get("fn") == "reduce" and "init" in agg:
                problems.append(
                    Problem(
                        node_id,
                        f"aggregations '{agg.get('name')}': a reduce with an init cannot "
                        "merge sessions (nothing says how two results combine); drop the "
                        "init, or use a time window",
                        param="aggregations",
                    )
                )
    return problems


TABLE_FUNCTIONS = ("count", "sum", "avg", "reduce")


def _subtractors(node_id: str, type_name: str, aggs: list) -> list[Problem]:
    """A table aggregate takes back what a row added: only aggregations that can be undone
    (count, sum, avg, a reduce with a subtract); a stream aggregate never takes back."""
    problems = []
    for agg in aggs:
        if not isinstance(agg, dict):
            continue
        name, fn = agg.get("name"), agg.get("fn")
        message = None
        if type_name == "table_aggregate" and fn not in TABLE_FUNCTIONS:
            message = (
                f"a table aggregate must take back a row's old value: {fn} cannot be undone; "
                f"use {', '.join(TABLE_FUNCTIONS)}"
            )
        elif type_name == "table_aggregate" and fn == "reduce" and "subtract" not in agg:
            message = "a reduce in a table aggregate needs a subtract (how a row's old value is taken back)"
        elif type_name == "aggregate" and "subtract" in agg:
            message = "only a table aggregate takes back values: drop the subtract"
        if message:
            problems.append(
                Problem(node_id, f"aggregations '{name}': {message}", param="aggregations")
            )
    return problems


def init_message(text: Any) -> str | None:
    """Whether a reduce's init (a constant expression, already checked) gives a value its
    state can keep."""
    try:
        json.dumps(compile_expression(text, INIT_NAMES).fn(), allow_nan=False)
    except (TypeError, ValueError):
        return f"must give a JSON value (text, a number, a list, a dict, True, False or None): {text!r}"
    except Exception as exc:  # noqa: BLE001 - what the constant expression raises
        return f"fails: {type(exc).__name__}: {exc} in {text!r}"
    return None
