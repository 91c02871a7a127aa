"""Code export: every node type round-trips through a script; scripts are ruff-clean and run."""

from __future__ import annotations

import importlib.util
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.code.builder import (
    Aggregation,
    Branch,
    HoppingWindow,
    SessionWindow,
    SlidingWindow,
    StreamsBuilder,
    TumblingWindow,
)
from engine.code.export import export_script, string_literal, variable_names
from engine.code.importer import import_script
from engine.model import fileformat
from engine.model.catalogue import NODE_TYPES
from engine.model.topology import Topology

DEMO = Path(__file__).resolve().parents[3] / "resources" / "demo" / "ecommerce.topology.json"


# -- one or more topologies per node type ------------------------------------------------------


def _kafka_source() -> list[Topology]:
    b = StreamsBuilder("src-app")
    b.stream("orders", name="orders").to_console(name="out")
    b2 = StreamsBuilder("src-app-2", processing_guarantee="exactly_once", commit_interval="500ms")
    s = b2.stream(
        "orders",
        name="orders",
        key_format="json",
        value_format="string",
        start="latest",
        timestamp="value['ts'] * 1000",
    )
    s.to("copy", name="copy")
    return [b.build(), b2.build()]


def _generator_source() -> list[Topology]:
    b = StreamsBuilder("gen-app")
    b.generator("orders", name="orders", profile="clicks", rate=2.5, seed=7, limit=100).to(
        "out", name="out"
    )
    return [b.build()]


def _transform(method: str, arg) -> list[Topology]:
    b = StreamsBuilder(f"{method.replace('_', '-')}-app")
    s = b.stream("in", name="src")
    getattr(s, method)(arg, name="step").to("out", name="out")
    return [b.build()]


def _branch() -> list[Topology]:
    b = StreamsBuilder("branch-app")
    ports = b.stream("orders", name="orders").branch(
        [
            Branch("large", "value['amount'] >= 250"),
            {"name": "small", "expr": "value['amount'] < 10"},
        ],
        name="size",
    )
    ports["large"].to("large", name="large_out")
    ports["large"].to_console(name="watch", limit=5)
    ports["else"].to_file("/tmp/rest.jsonl", name="rest")
    return [b.build()]


def _merge() -> list[Topology]:
    b = StreamsBuilder("merge-app")
    a, c, d = (b.stream(t, name=t) for t in ("a", "c", "d"))
    a.merge(c, d, name="all").to("out", name="out")
    return [b.build()]


def _aggregate() -> list[Topology]:
    windows = [
        TumblingWindow("1m", grace="0s"),
        HoppingWindow("5m", "1m"),
        SessionWindow("30s", grace="5s"),
        SlidingWindow("10s", grace="1s"),
        SlidingWindow("10s"),
        None,
        {"type": "none"},
    ]
    return [_agg_topology(window, i) for i, window in enumerate(windows)]


def _agg_topology(window, i: int) -> Topology:
    b = StreamsBuilder(f"agg-app-{i}")
    paid = b.stream("orders", name="orders").filter("value['status'] == 'paid'", name="paid")
    grouped = (
        paid.group_by("value['category']", name="revenue")
        if i % 2 == 0
        else paid.group_by_key(name="revenue")
    )
    if window is not None:
        grouped = grouped.window(window)
    emit = "final" if window is not None and window != {"type": "none"} else None
    grouped.aggregate(
        [
            Aggregation("revenue", "sum", "value['amount']"),
            Aggregation("orders", "count"),
            {"name": "buyers", "fn": "count_distinct", "expr": "value['user_id']"},
            Aggregation("biggest", "reduce", "max(agg, value['amount'])"),
            *(
                [Aggregation("ids", "reduce", "agg + [value['id']]", init="[]")]
                if not isinstance(window, SessionWindow)
                else []
            ),
            {"name": "listed", "fn": "reduce", "init": "''", "expr": "agg + value['id']"}
            if not isinstance(window, SessionWindow)
            else {"name": "listed", "fn": "reduce", "expr": "agg"},
        ],
        emit=emit,
    ).to("revenue", name="out")
    return b.build()


def _join() -> list[Topology]:
    b = StreamsBuilder("join-app")
    orders = b.stream("orders", name="orders")
    customers = b.stream("customers", name="customers")
    orders.join(customers, "{**left, 'customer': right}", name="enriched").to("e", name="e_out")
    orders.left_join(customers, "{**left, **(right or {})}", name="maybe").to("m", name="m_out")
    orders.join(customers, "left", name="paired", mode="inner", window="5m").to_console(name="c")
    orders.outer_join(customers, "[left, right]", name="either", window="5m", grace="1m").to(
        "x", name="x_out"
    )
    orders.join(customers, "left", name="skewed", window="5m", before="1m", after="10m").to(
        "s", name="s_out"
    )
    orders.left_join(customers, "left", name="later", window="5m", before="0s").to(
        "l", name="l_out"
    )
    return [b.build()]


def _table_source() -> list[Topology]:
    b = StreamsBuilder("table-app")
    b.table("customers", name="customers").to("out", name="out")
    b.table("prices", name="prices", key_format="json", value_format="string", start="latest").to(
        "p", name="p_out"
    )
    return [b.build()]


def _to_table() -> list[Topology]:
    b = StreamsBuilder("to-table-app")
    b.stream("in", name="src").rekey("value['id']", name="by_id").to_table(name="latest").to(
        "out", name="out"
    )
    return [b.build()]


def _table_join() -> list[Topology]:
    b = StreamsBuilder("table-join-app")
    orders = b.table("orders", name="orders")
    customers = b.table("customers", name="customers")
    orders.table_join(customers, "[left, right]", name="both").to("b", name="b_out")
    orders.table_join(customers, "left", name="maybe", mode="left").to("m", name="m_out")
    orders.table_join(customers, "right", name="either", mode="outer").to_console(name="c")
    return [b.build()]


def _table_aggregate() -> list[Topology]:
    b = StreamsBuilder("table-aggregate-app")
    b.table("orders", name="orders").table_aggregate(
        [
            Aggregation("n", "count"),
            Aggregation("revenue", "sum", "value['amount']"),
            {"name": "mean", "fn": "avg", "expr": "value['amount']"},
            Aggregation("ids", "reduce", "agg + [value['id']]", init="[]", subtract="agg[1:]"),
            {
                "name": "total",
                "fn": "reduce",
                "expr": "agg + value['a']",
                "subtract": "agg - value['a']",
            },
        ],
        group_by="value['category']",
        name="per_category",
    ).to("out", name="out")
    return [b.build()]


def _kafka_sink() -> list[Topology]:
    b = StreamsBuilder("sink-app")
    b.stream("in", name="src").to("out", name="out", key_format="bytes", value_format="string")
    return [b.build()]


def _console_sink() -> list[Topology]:
    b = StreamsBuilder("console-app")
    s = b.stream("in", name="src")
    s.to_console(name="all")
    s.to_console(name="some", limit=3)
    return [b.build()]


def _file_sink() -> list[Topology]:
    b = StreamsBuilder("file-app")
    b.stream("in", name="src").to_file("/tmp/out.jsonl", name="out", format="jsonl")
    return [b.build()]


def _dashboard_sink() -> list[Topology]:
    b = StreamsBuilder("dashboard-app")
    s = b.stream("in", name="src")
    s.to_dashboard("Everything", name="all")
    (
        s.group_by("value['category']", name="per_minute")
        .window(TumblingWindow("1m"))
        .aggregate([Aggregation("revenue", "sum", "value['amount']")])
        .to_dashboard(
            "Revenue per category", name="bars", view="bars", fields=["revenue"], max_rows=50
        )
    )
    return [b.build()]


BY_TYPE = {
    "kafka_source": _kafka_source,
    "generator_source": _generator_source,
    "filter": lambda: _transform("filter", "value['status'] == \"paid\" and key != 'x'"),
    "map": lambda: _transform("map", "{'id': value['id'], 'total': value['a'] * 2}"),
    "set_fields": lambda: _transform("set_fields", {"total": "value['a'] + 1", "flag": "True"}),
    "flat_map": lambda: _transform("flat_map", "[i for i in value['items']]"),
    "rekey": lambda: _transform("rekey", "value['user_id']"),
    "branch": _branch,
    "merge": _merge,
    "aggregate": _aggregate,
    "join": _join,
    "table_source": _table_source,
    "to_table": _to_table,
    "table_join": _table_join,
    "table_aggregate": _table_aggregate,
    "kafka_sink": _kafka_sink,
    "console_sink": _console_sink,
    "file_sink": _file_sink,
    "dashboard_sink": _dashboard_sink,
}


def test_every_node_type_of_the_catalogue_is_covered():
    assert set(BY_TYPE) == set(NODE_TYPES), "a node type without an export round-trip test"
    for type_name, make in BY_TYPE.items():
        assert any(n.type == type_name for t in make() for n in t.nodes.values()), type_name


def _with_positions(topology: Topology, seed: int) -> Topology:
    rng = random.Random(seed)
    for node in topology.nodes.values():
        node.position = (rng.choice([0.0, 40.0, -12.5, 1234.75]), rng.choice([120.0, 99.9, -3.0]))
    return topology


@pytest.mark.parametrize("type_name", sorted(BY_TYPE))
def test_round_trip_per_node_type(type_name):
    for i, topology in enumerate(BY_TYPE[type_name]()):
        _with_positions(topology, i)
        script = export_script(topology)
        compile(script, f"{type_name}.py", "exec")
        back = import_script(script, f"{type_name}.py")
        assert topology.equivalent(back), script
        assert {k: n.position for k, n in back.nodes.items()} == {
            k: n.position for k, n in topology.nodes.items()
        }
        assert export_script(back) == script  # a fixpoint


def test_demo_round_trips():
    topology = fileformat.load(DEMO)
    script = export_script(topology)
    back = import_script(script, "demo.py")
    assert topology.equivalent(back)
    assert 'order_size["large"].to("orders.large", name="large_orders")' in script
    assert 'order_size["large"].to_console(name="watch", limit=20)' in script
    assert "from topology_studio import (" in script and "    Branch,\n" in script


def test_script_shape():
    topology = _with_positions(_agg_topology(TumblingWindow("1m", grace="0s"), 0), 1)
    script = export_script(topology)
    assert script.startswith('"""agg-app-0: ')
    assert "def build() -> Topology:" in script
    assert 'builder = StreamsBuilder("agg-app-0")' in script
    assert "paid = orders.filter(\"value['status'] == 'paid'\", name=\"paid\")" in script
    assert 'paid.group_by("value[\'category\']", name="revenue")' in script
    assert '.window(TumblingWindow("1m", grace="0s"))' in script
    assert 'Aggregation("revenue", "sum", "value[\'amount\']")' in script
    assert 'emit="final"' in script
    assert "builder.layout(" in script
    # one import, from the public facade only: Topology and run_main come with the builder
    assert "from topology_studio import (\n    Aggregation,\n    StreamsBuilder,\n" in script
    assert "run_main" in script.split("\n\n\ndef build", 1)[0]
    assert "engine" not in script
    assert "def main(argv=None) -> int:\n    return run_main(build(), argv)" in script
    assert script.endswith('if __name__ == "__main__":\n    sys.exit(main())\n')
    # group_by_key when there is no group_by
    assert 'paid.group_by_key(name="revenue")' in export_script(_agg_topology(None, 1))


def test_statements_follow_topological_order_and_reuse_variables():
    b = StreamsBuilder("fan")
    src = b.stream("in", name="src")
    one = src.filter("True", name="one")
    two = src.map("value", name="two")
    one.merge(two, name="both").to("out", name="out")
    topology = b.build()
    # Nodes added out of order in the model still come out in topological order.
    topology.nodes = dict(reversed(list(topology.nodes.items())))
    script = export_script(topology)
    lines = [ln.strip() for ln in script.splitlines()]
    order = [
        next(i for i, ln in enumerate(lines) if f'name="{n}"' in ln)
        for n in ("src", "one", "two", "both", "out")
    ]
    src_at, one_at, two_at, both_at, out_at = order
    assert src_at < min(one_at, two_at) and max(one_at, two_at) < both_at < out_at
    assert 'one = src.filter("True", name="one")' in lines
    assert 'two = src.map("value", name="two")' in lines
    assert import_script(script).equivalent(topology)


def test_awkward_ids_become_distinct_identifiers():
    b = StreamsBuilder("names")
    s = b.stream("in", name="from")
    s = s.filter("True", name="a-b").map("value", name="a_b").rekey("key", name="builder")
    s = s.filter("True", name="_hidden").map("value", name="x" * 64)
    s.to("out", name="class")
    topology = b.build()
    names = variable_names(topology)
    assert len(set(names.values())) == len(names)
    assert (
        names["from"] == "from_" and names["builder"] == "builder_" and names["class"] == "class_"
    )
    assert all(n.isidentifier() for n in names.values())
    script = export_script(topology)
    assert import_script(script).equivalent(topology)


@pytest.mark.parametrize(
    "text",
    [
        "value['a'] == 'b'",
        'value["a"] == "b"',
        "value['a'] + \"it's\"",
        'a "b" \'c\' "d"',
        "back\\slash",
        "tab\there\nnewline",
        "unicode é ✓ \u200b",
        "x\x00y\x7f",
    ],
)
def test_expressions_are_written_exactly(text):
    literal = string_literal(text)
    assert eval(literal) == text
    b = StreamsBuilder("exprs")
    b.stream("in", name="src").set_fields({"f": text}, name="step").to("out", name="out")
    topology = b.build(check=False)
    back = import_script(export_script(topology), check=False)
    assert back.nodes["step"].params == {"fields": {"f": text}}


def test_double_quotes_are_preferred():
    assert string_literal("value['a']") == "\"value['a']\""
    assert string_literal('value["a"]') == "'value[\"a\"]'"


# -- the script is ruff-format clean, compiles and builds the same topology when run --------------


def _random_topology(seed: int) -> Topology:
    r = random.Random(seed)

    def word(lo, hi):
        return "".join(r.choice("abcdefgh_") for _ in range(r.randint(lo, hi))).strip("_") or "w"

    def expr():
        return " + ".join(f"value['{word(2, 12)}']" for _ in range(r.randint(1, 7)))

    ids: set[str] = set()

    def nid(prefix):
        while True:
            candidate = f"{prefix}_{word(1, r.choice([3, 12, 30, 55]))}"
            if candidate not in ids:
                ids.add(candidate)
                return candidate

    b = StreamsBuilder(
        "app-" + word(2, 30),
        **({"dead_letter_topic": "dlq." + word(3, 50)} if r.random() < 0.5 else {}),
    )
    streams = [b.stream(word(2, 30), name=nid("src"))]
    for _ in range(r.randint(3, 9)):
        s = r.choice(streams)
        op = r.choice(
            ["filter", "map", "flat_map", "rekey", "set_fields", "branch", "merge", "agg", "join"]
        )
        if op in ("filter", "map", "flat_map", "rekey"):
            streams.append(getattr(s, op)(expr(), name=nid(op)))
        elif op == "set_fields":
            streams.append(
                s.set_fields({word(1, 9): expr() for _ in range(r.randint(1, 3))}, name=nid("sf"))
            )
        elif op == "branch":
            names = sorted({word(1, 8) for _ in range(r.randint(1, 3))} - {"else"})
            streams += s.branch([Branch(n, expr()) for n in names], name=nid("br")).values()
        elif op == "merge":
            others = [o for o in r.sample(streams, min(2, len(streams))) if o is not s]
            streams.append(s.merge(*others, name=nid("mg")))
        elif op == "agg":
            g = (
                s.group_by(expr(), name=nid("agg"))
                if r.random() < 0.5
                else s.group_by_key(name=nid("agg"))
            )
            if r.random() < 0.6:
                g = g.window(
                    r.choice(
                        [
                            TumblingWindow("1m"),
                            HoppingWindow("5m", "1m", grace="1s"),
                            SessionWindow("30s"),
                        ]
                    )
                )
            aggs = [Aggregation(word(1, 9) + str(j), "sum", expr()) for j in range(r.randint(0, 3))]
            streams.append(g.aggregate([*aggs, Aggregation("n", "count")]))
        else:
            other = r.choice(streams)
            if other is not s:
                streams.append(
                    s.join(
                        other,
                        "{**left, **(right or {})}",
                        name=nid("jn"),
                        window=r.choice([None, "5m"]),
                    )
                )
    for s in streams:
        sink = r.random()
        if sink < 0.4:
            s.to(word(2, 40), name=nid("out"))
        elif sink < 0.7:
            s.to_console(name=nid("con"), limit=r.choice([None, 10]))
    topology = b.build(check=False)
    return _with_positions(topology, seed) if r.random() < 0.7 else topology


def _ruff() -> list[str] | None:
    found = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    return [found] if Path(found).exists() else None


def test_exported_scripts_are_ruff_format_clean(tmp_path):
    ruff = _ruff()
    topologies = [fileformat.load(DEMO)] + [t for make in BY_TYPE.values() for t in make()]
    topologies += [_random_topology(seed) for seed in range(120)]
    for i, topology in enumerate(topologies):
        script = export_script(topology)
        compile(script, f"s{i}.py", "exec")
        assert import_script(script, check=False).equivalent(topology)
        (tmp_path / f"s{i}.py").write_text(script, encoding="utf-8")
    if ruff is None:
        pytest.skip("ruff is not installed")
    result = subprocess.run(
        [*ruff, "format", "--isolated", "--check", "--diff", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_script_builds_the_same_topology_when_run(tmp_path):
    topology = _with_positions(fileformat.load(DEMO), 3)
    path = tmp_path / "demo_script.py"
    path.write_text(export_script(topology), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("demo_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build()
    assert built.equivalent(topology)
    assert {k: n.position for k, n in built.nodes.items()} == {
        k: n.position for k, n in topology.nodes.items()
    }


def test_cli_export_then_import(tmp_path):
    from engine.cli import main

    script = tmp_path / "demo.py"
    assert main(["export", str(DEMO), "-o", str(script)]) == 0
    out = tmp_path / "back.topology.json"
    assert main(["import", str(script), "-o", str(out)]) == 0
    assert fileformat.load(out).equivalent(fileformat.load(DEMO))
