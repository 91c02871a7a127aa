"""The aggregation functions of the aggregate node, compiled once per node.

Each fn is (initial state, step(state, value, ts) -> new state, merge(a, b), result(state)).
Steps and merges return new objects and never mutate, so a record that fails half-way
leaves the store untouched. Aggregations ignore None: ``count`` with an expr counts records
where it is not None, ``first``/``last`` are the values of the records with the
smallest/largest timestamp (ties: the earlier/later arrival), ``avg`` is None until a value
arrives.

``reduce`` folds the record values themselves with its expr over ``agg`` and ``value``
(Kafka Streams' Reducer, or its Aggregator with ``init`` as the Initializer): its state is
``None`` until the first value, then ``[agg]``. Without ``init`` the first value is the
first ``agg``, as in Kafka Streams' reduce; with it, the first value is folded into
``init``. It skips None values like every function. Merging two sessions folds the later
session's result into the earlier's, as Kafka Streams' session reduce does with its reducer.
"""

from __future__ import annotations

import json

from engine.model.expressions import INIT_NAMES, REDUCE_NAMES, compile_expression

STREAM_TIME = "#stream_time"

_key_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_text_json = json.encoder.encode_basestring  # what _key_json does with a str, without the call
_int_json = int.__repr__  # and with an int


def state_key(key) -> str:
    """The group key as it appears in store keys (raises TypeError for non-JSON keys)."""
    t = type(key)
    if t is str:
        return _text_json(key)
    if t is int:
        return _int_json(key)
    return _key_json(key)


def _one(key, value, timestamp, headers):
    return 1


def _count_step(s, v, ts):
    return s if v is None else s + 1


def _sum_step(s, v, ts):
    return s if v is None else s + v


def _avg_step(s, v, ts):
    return s if v is None else [s[0] + v, s[1] + 1]


def _min_step(s, v, ts):
    return v if v is not None and (s is None or v < s) else s


def _max_step(s, v, ts):
    return v if v is not None and (s is None or v > s) else s


def _first_step(s, v, ts):
    return [ts, v] if v is not None and (s is None or ts < s[0]) else s


def _last_step(s, v, ts):
    return [ts, v] if v is not None and (s is None or ts >= s[0]) else s


def _distinct_step(s, v, ts):
    if v is None:
        return s
    text = _key_json(v)
    if text in s:
        return s
    new = dict(s)
    new[text] = 1
    return new


def _add(a, b):
    return a + b


def _avg_merge(a, b):
    return [a[0] + b[0], a[1] + b[1]]


def _min_merge(a, b):
    return b if a is None or (b is not None and b < a) else a


def _max_merge(a, b):
    return b if a is None or (b is not None and b > a) else a


def _first_merge(a, b):
    return b if a is None or (b is not None and b[0] < a[0]) else a


def _last_merge(a, b):
    return b if a is None or (b is not None and b[0] >= a[0]) else a


def _distinct_merge(a, b):
    return {**a, **b}


def _same(s):
    return s


def _avg_result(s):
    return s[0] / s[1] if s[1] else None


def _value_result(s):
    return None if s is None else s[1]


_FUNCTIONS = {
    "count": (0, _count_step, _add, _same),
    "sum": (0, _sum_step, _add, _same),
    "avg": ([0, 0], _avg_step, _avg_merge, _avg_result),
    "min": (None, _min_step, _min_merge, _same),
    "max": (None, _max_step, _max_merge, _same),
    "first": (None, _first_step, _first_merge, _value_result),
    "last": (None, _last_step, _last_merge, _value_result),
    "count_distinct": ({}, _distinct_step, _distinct_merge, len),
}


def _record_value(key, value, timestamp, headers):
    return value


_NO_INIT = object()


def _reduce_functions(spec: dict) -> tuple:
    """(initial state, step, merge, result) of one reduce aggregation."""
    fold = compile_expression(spec["expr"], REDUCE_NAMES).fn
    init = compile_expression(spec["init"], INIT_NAMES).fn() if "init" in spec else _NO_INIT
    init_json = json.dumps(init) if init is not _NO_INIT else None

    def step(s, v, ts):
        if v is None:
            return s
        if s is None:
            if init_json is None:
                return [v]
            return [fold(json.loads(init_json), v)]  # a fresh copy of init for every group
        return [fold(s[0], v)]

    def merge(a, b):
        if a is None:
            return b
        if b is None:
            return a
        return [fold(a[0], b[0])]

    return (None, step, merge, _reduce_result)


def _reduce_result(s):
    return None if s is None else s[0]


class Aggregations:
    """The aggregation list compiled once into tuples of small functions."""

    __slots__ = (
        "_immutable_initial",
        "evaluators",
        "initial_json",
        "merges",
        "names",
        "results",
        "steps",
    )

    def __init__(self, specs: list[dict]):
        self.names = tuple(a["name"] for a in specs)
        self.evaluators = tuple(
            _record_value
            if a["fn"] == "reduce"
            else (compile_expression(a["expr"]).fn if a.get("expr") else _one)
            for a in specs
        )
        table = [
            _reduce_functions(a) if a["fn"] == "reduce" else _FUNCTIONS[a["fn"]] for a in specs
        ]
        self.initial_json = json.dumps([t[0] for t in table])
        # Initial states that are all immutable (counts, sums, None) need no fresh copy.
        self._immutable_initial = (
            tuple(t[0] for t in table)
            if all(t[0] is None or type(t[0]) is int for t in table)
            else None
        )
        self.steps = tuple(t[1] for t in table)
        self.merges = tuple(t[2] for t in table)
        self.results = tuple(t[3] for t in table)

    def initial(self) -> list:
        if self._immutable_initial is not None:
            return list(self._immutable_initial)
        return json.loads(self.initial_json)  # fresh mutable parts (avg's pair, distinct's dict)


def fold_function(aggs: Aggregations):
    """``fold(states or None, key, value, timestamp, headers)``: the record's values evaluated
    and stepped into the states in one call, as ``update(states, evaluate(...), timestamp)``
    does (``builders``); sum and count are written out in place, other steps called; states
    of another length (restored from an older topology) take the general update."""
    _evaluate, general, _merge, _output = builders(aggs)
    env: dict = {"initial": aggs.initial, "general": general, "INITIAL": aggs._immutable_initial}
    n = len(aggs.steps)
    values = ", ".join(f"a{i}" for i in range(n))
    states = ", ".join(f"s{i}" for i in range(n))
    lines = ["def fold(states, k, v, t, h):"]
    for i, f in enumerate(aggs.evaluators):
        if f is _one:
            lines.append(f"    a{i} = 1")
        else:
            env[f"f{i}"] = f
            lines.append(f"    a{i} = f{i}(k, v, t, h)")
    start = "INITIAL" if aggs._immutable_initial is not None else "initial()"
    lines += [
        "    if states is None:",
        f"        {states}, = {start}",
        f"    elif len(states) != {n}:",
        f"        return general(states, [{values}], t)",
        "    else:",
        f"        {states}, = states",
    ]
    steps = []
    for i, (f, step) in enumerate(zip(aggs.evaluators, aggs.steps)):
        if step is _count_step:
            steps.append(f"s{i} + 1" if f is _one else f"s{i} if a{i} is None else s{i} + 1")
        elif step is _sum_step:
            steps.append(f"s{i} if a{i} is None else s{i} + a{i}")
        else:
            env[f"step{i}"] = step
            steps.append(f"step{i}(s{i}, a{i}, t)")
    lines.append(f"    return [{', '.join(steps)}]")
    exec(compile("\n".join(lines), f"<fold {', '.join(aggs.names)}>", "exec"), env)  # noqa: S102
    return env["fold"]


def builders(aggs: Aggregations):
    """Functions shared by the three shapes: evaluate a record, update states, build output."""
    evaluators, steps, merges = aggs.evaluators, aggs.steps, aggs.merges
    named_results = tuple(zip(aggs.names, aggs.results))
    initial = aggs.initial

    def evaluate(k, v, t: int, h: dict) -> list:  # a record's key, value, timestamp, headers
        return [f(k, v, t, h) for f in evaluators]

    def update(states: list | None, values: list, ts: int) -> list:
        if states is None:
            states = initial()
        return [step(s, v, ts) for step, s, v in zip(steps, states, values)]

    # One or two aggregations (the common case): the same calls unrolled, without a
    # comprehension's frame and a zip per record (states of another length, e.g. restored
    # from an older topology, take the general function).
    general_update = update
    if len(steps) == 1:
        (f0,), (step0,) = evaluators, steps

        def evaluate(k, v, t: int, h: dict) -> list:
            return [f0(k, v, t, h)]

        def update(states: list | None, values: list, ts: int) -> list:
            if states is None:
                states = initial()
            elif len(states) != 1:
                return general_update(states, values, ts)
            return [step0(states[0], values[0], ts)]
    elif len(steps) == 2:
        (f0, f1), (step0, step1) = evaluators, steps

        def evaluate(k, v, t: int, h: dict) -> list:
            return [f0(k, v, t, h), f1(k, v, t, h)]

        def update(states: list | None, values: list, ts: int) -> list:
            if states is None:
                states = initial()
            elif len(states) != 2:
                return general_update(states, values, ts)
            return [step0(states[0], values[0], ts), step1(states[1], values[1], ts)]

    def merge(a: list, b: list) -> list:
        return [m(x, y) for m, x, y in zip(merges, a, b)]

    def output(entry: dict, windowed: bool) -> dict:
        out = {"key": entry["k"]}
        if windowed:
            out["window_start"] = entry["s"]
            out["window_end"] = entry["e"]
        for (name, result), s in zip(named_results, entry["a"]):
            out[name] = result(s)
        return out

    if len(named_results) == 2 and aggs.results[0] is _same and aggs.results[1] is _same:
        (n0, _r0), (n1, _r1) = named_results  # e.g. sum and count: results are the states

        general_output = output

        def output(entry: dict, windowed: bool) -> dict:
            a = entry["a"]
            if len(a) != 2:
                return general_output(entry, windowed)
            a0, a1 = a
            if windowed:
                return {
                    "key": entry["k"],
                    "window_start": entry["s"],
                    "window_end": entry["e"],
                    n0: a0,
                    n1: a1,
                }
            return {"key": entry["k"], n0: a0, n1: a1}

    return evaluate, update, merge, output
