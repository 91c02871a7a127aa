"""Code import: scripts in the builder API are read statically, never run."""

from __future__ import annotations

import textwrap

import pytest

from engine.code.builder import Aggregation, Branch, StreamsBuilder, TumblingWindow
from engine.code.importer import ImportScriptError, import_script

HAND_WRITTEN = '''
"""Revenue per category, written by hand."""
from engine.builder import StreamsBuilder, Aggregation, Branch
from engine.builder import TumblingWindow as Tumbling

TOPIC = "orders"
SIZE = "1m"

builder = StreamsBuilder(name="shop", processing_guarantee="exactly_once")
orders = builder.stream(TOPIC, name="orders", start="latest")
paid = orders.filter(expr="value['status'] == 'paid'", name="paid")
sizes = paid.branch([{"name": "large", "expr": "value['amount'] >= 250"},
                     Branch("tiny", "value['amount'] < 5")], name="size")
sizes["large"].to("orders.large", name="large_out")
(paid.group_by("value['category']", name="revenue")
     .windowed_by(Tumbling(SIZE, grace="0s"))
     .aggregate([Aggregation("revenue", "sum", "value['amount']"),
                 {"name": "orders", "fn": "count"}], emit="final")
     .to("revenue", name="revenue_out"))
counts = paid.group_by_key(name="counts").window({"type": "hopping", "size": "5m", "advance": "1m"})
counts.count(name="counts").to_console(name="watch", limit=10)
customers = builder.stream("customers", name="customers")
paid.left_join(customers, "{**left, **(right or {})}", name="enriched").map(
    "value", name="same").to_file("/tmp/enriched.jsonl", name="file_out")
sizes["else"].merge(sizes["tiny"], name="rest").rekey("value['user_id']", name="by_user").to(
    "rest", name="rest_out")
builder.layout({"orders": [10, 20.5], "paid": (-30, 40)})
topology = builder.build()
'''


def _expected():
    b = StreamsBuilder("shop", processing_guarantee="exactly_once")
    orders = b.stream("orders", name="orders", start="latest")
    paid = orders.filter("value['status'] == 'paid'", name="paid")
    sizes = paid.branch(
        [Branch("large", "value['amount'] >= 250"), Branch("tiny", "value['amount'] < 5")],
        name="size",
    )
    sizes["large"].to("orders.large", name="large_out")
    (
        paid.group_by("value['category']", name="revenue")
        .window(TumblingWindow("1m", grace="0s"))
        .aggregate(
            [Aggregation("revenue", "sum", "value['amount']"), Aggregation("orders", "count")],
            emit="final",
        )
        .to("revenue", name="revenue_out")
    )
    grouped = paid.group_by_key(name="counts").window(
        {"type": "hopping", "size": "5m", "advance": "1m"}
    )
    grouped.count(name="counts").to_console(name="watch", limit=10)
    customers = b.stream("customers", name="customers")
    paid.left_join(customers, "{**left, **(right or {})}", name="enriched").map(
        "value", name="same"
    ).to_file("/tmp/enriched.jsonl", name="file_out")
    sizes["else"].merge(sizes["tiny"], name="rest").rekey("value['user_id']", name="by_user").to(
        "rest", name="rest_out"
    )
    return b.build()


def test_hand_written_script_with_the_whole_api():
    topology = import_script(HAND_WRITTEN, "shop.py")
    assert topology.equivalent(_expected())
    assert topology.nodes["orders"].position == (10.0, 20.5)
    assert topology.nodes["paid"].position == (-30.0, 40.0)
    assert topology.nodes["revenue"].position is None


def test_positional_arguments_and_unnamed_nodes():
    topology = import_script(
        textwrap.dedent("""
        from engine.builder import StreamsBuilder
        def build():
            b = StreamsBuilder("pos")
            b.stream("in").filter("True").to("out")
            return b.build()
    """)
    )
    assert {n.type for n in topology.nodes.values()} == {"kafka_source", "filter", "kafka_sink"}
    assert len(topology.edges) == 2


def _error(source: str, filename: str = "bad.py", **kwargs) -> ImportScriptError:
    with pytest.raises(ImportScriptError) as info:
        import_script(textwrap.dedent(source), filename, **kwargs)
    return info.value


HEAD = "from engine.builder import StreamsBuilder\nb = StreamsBuilder('app')\n"


@pytest.mark.parametrize(
    "body, line, words",
    [
        ("s = b.stream(f'{1}in')\n", 3, "f-strings"),
        ("size = '1' + 'm'\n", 3, "computed value"),
        ("t = 'in'\ns = b.stream(topic)\n", 4, "'topic' is not defined"),
        ("s = b.stream(open('x').read())\n", 3, "a call of 'open'"),
        ("for t in ['a', 'b']:\n    b.stream(t)\n", 3, "for loop"),
        ("s = b.stream('in')\ns.filter(lambda r: True)\n", 4, "lambda"),
        ("s = b.stream('in')\ns.peek('x')\n", 4, "no method 'peek'"),
        (
            "s = b.stream('in')\np = s.branch([{'name': 'a', 'expr': 'True'}])\np['b'].to('o')\n",
            5,
            "no port 'b'",
        ),
        ("s = b.stream('in', name='x')\nb.stream('in', name='x')\n", 4, "already exists"),
        ("s = b.stream('in', nam='x')\n", 3, "unexpected keyword argument 'nam'"),
        ("s = b.stream('in', 'x')\n", 3, "too many positional arguments"),
        ("b2 = StreamsBuilder('other')\n", 3, "second StreamsBuilder"),
        ("b.layout({'ghost': (1, 2)})\n", 3, "ghost"),
        ("s = b.stream(*['in'])\n", 3, "unpacking"),
        ("s, t = b.stream('a'), b.stream('b')\n", 3, "plain variable name"),
        (
            "s = b.stream('in')\ns.filter('value[')\n",
            4,
            "filter",
        ),  # validation names the node's line
        ("import os\n", 3, "'import os' cannot be read"),
        ("from subprocess import run\n", 3, "from subprocess import"),
        ("s = b.stream('in').filter(value > 1)\n", 3, "inside a string"),
        ("s = b.stream('in')\ns.filter('True').to(s.node_id)\n", 4, "attribute"),
    ],
)
def test_errors_name_the_line(body, line, words):
    error = _error(HEAD + body)
    assert str(error).startswith(f"bad.py, line {line}: "), str(error)
    assert words in str(error)


def test_syntax_errors_and_missing_builder():
    assert str(_error("x = (\n", "s.py")).startswith("s.py, line 1: the script is not valid Python")
    assert "no StreamsBuilder" in str(_error("x = 1\n"))


def test_validation_problems_carry_lines_but_can_be_deferred():
    source = HEAD + "s = b.stream('in', name='src')\ns.filter('nope(', name='f')\n"
    error = _error(source)
    assert str(error).startswith("bad.py, line 4: f:")
    partial = import_script(source, check=False)
    assert set(partial.nodes) == {"src", "f"}


SENTINEL_CASES = [
    "import os\nos.system('touch {s}')\n" + HEAD + "b.stream('in').to('out')\n",
    HEAD + "b.stream(__import__('os').system('touch {s}'))\n",
    HEAD + "b.stream('in').filter(__import__('os').system('touch {s}') or 'True')\n",
    HEAD + "b.stream('in').filter(exec(\"open('{s}', 'w')\"))\n",
    HEAD + "b.stream('in').to('out')\n"
    "def main(argv=None):\n    __import__('os').system('touch {s}')\n"
    "    return run_main(build(), argv)\n",
    HEAD + "def main(argv=__import__('os').system('touch {s}')):\n"
    "    return run_main(build(), argv)\n",
    HEAD + "@__import__('os').system('touch {s}')\ndef build():\n    pass\n",
    HEAD + "def build() -> __import__('os').system('touch {s}'):\n    pass\n",
    HEAD + "b.stream('in').to('out')\nif __name__ == '__main__':\n"
    "    __import__('os').system('touch {s}')\n",
    HEAD + "class X:\n    __import__('os').system('touch {s}')\n",
    HEAD + "b.stream('in').to('out', name=[c for c in ().__class__.__base__.__subclasses__()])\n",
]


@pytest.mark.parametrize("template", SENTINEL_CASES)
def test_malicious_scripts_are_refused_without_running(template, tmp_path):
    sentinel = tmp_path / "sentinel"
    source = template.format(s=sentinel)
    with pytest.raises(ImportScriptError) as info:
        import_script(source, "evil.py")
    assert str(info.value).startswith("evil.py, line ")
    assert not sentinel.exists()


def test_main_and_guard_of_exported_scripts_are_accepted():
    source = textwrap.dedent('''
        import sys
        from engine.builder import StreamsBuilder
        from engine.runner import run_main

        def main(argv=None) -> int:
            """Run it."""
            return run_main(build(), argv)

        def build():
            b = StreamsBuilder("app")
            b.stream("in", name="src").to("out", name="out")
            return b.build()

        if __name__ == "__main__":
            sys.exit(main())
    ''')
    assert set(import_script(source).nodes) == {"src", "out"}


def test_cli_import_reports_the_line(tmp_path, capsys):
    from engine.cli import main

    script = tmp_path / "bad.py"
    script.write_text(HEAD + "s = b.stream(f'{1}')\n", encoding="utf-8")
    assert main(["import", str(script)]) == 1
    assert f"{script}, line 3: f-strings" in capsys.readouterr().err
