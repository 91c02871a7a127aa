"""``topology-studio test`` and ``topology-studio trace`` (reference §13): cases that pass and fail,
windows that close inside the input and windows that do not, joins, lineage through branch
and flat_map, dead letters, and files that cannot be used."""

from __future__ import annotations

import json

import pytest

from engine.cli import main


def write(tmp_path, name, data) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def edges(*pairs):
    out = []
    for pair in pairs:
        src, dst = pair[0], pair[1]
        e = {"from": src, "to": dst}
        if len(pair) > 2 and pair[2]:
            e["from_port"] = pair[2]
        if len(pair) > 3 and pair[3]:
            e["to_port"] = pair[3]
        out.append(e)
    return out


def topo(nodes, wires, name="t"):
    return {
        "format": "topology-studio/1",
        "name": name,
        "settings": {},
        "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
        "edges": edges(*wires),
    }


FILTER_MAP = topo(
    [
        ("src", "kafka_source", {"topic": "in"}),
        ("big", "filter", {"expr": "value['amount'] > 10"}),
        ("tax", "set_fields", {"fields": {"gross": "value['amount'] * 2"}}),
        ("out", "kafka_sink", {"topic": "out"}),
    ],
    [("src", "big"), ("big", "tax"), ("tax", "out")],
)


def rec(key, value, ts=None):
    out = {"key": key, "value": value}
    if ts is not None:
        out["timestamp"] = ts
    return out


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def trace_of(capsys, tmp_path, topology_data, inputs: dict[str, list[dict]]):
    path = write(tmp_path, "t.topology.json", topology_data)
    args = ["trace", path]
    for node, records in inputs.items():
        lines = "".join(json.dumps(r) + "\n" for r in records)
        args += ["--input", f"{node}={write(tmp_path, node + '.jsonl', lines)}"]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    records = json.loads(out)["records"]
    assert len({r["id"] for r in records}) == len(records), "ids are not unique"
    assert all(isinstance(r["id"], str) for r in records)
    return records


# -- test: pass and fail ----------------------------------------------------------------


def test_cases_that_pass_exit_0(capsys, tmp_path):
    cases = {
        "cases": [
            {
                "name": "keeps big orders",
                "inputs": {"src": [rec("a", {"amount": 20}), rec("b", {"amount": 5})]},
                "expect": {"out": [rec("a", {"amount": 20, "gross": 40})]},
            },
            {
                "name": "nothing small",
                "inputs": {"src": [rec("b", {"amount": 5})]},
                "expect": {"out": []},
                "expect_dead_letters": 0,
            },
        ]
    }
    code, out, _ = run_cli(
        capsys, "test", write(tmp_path, "t.json", FILTER_MAP), write(tmp_path, "cases.json", cases)
    )
    assert code == 0
    assert out.splitlines() == [
        "PASS keeps big orders",
        "PASS nothing small",
        "2 cases: 2 passed, 0 failed",
    ]


def test_a_failing_case_exits_1_with_what_is_missing_and_unexpected(capsys, tmp_path):
    cases = {
        "cases": [
            {
                "name": "ok",
                "inputs": {"src": [rec("a", {"amount": 20})]},
                "expect": {"out": [rec("a", {"amount": 20, "gross": 40})]},
            },
            {
                "name": "wrong gross",
                "inputs": {"src": [rec("a", {"amount": 20}), rec("z", {"amount": 99})]},
                "expect": {
                    "out": [
                        rec("a", {"amount": 20, "gross": 41}),
                        rec("q", {"amount": 1, "gross": 2}),
                    ]
                },
            },
        ]
    }
    topology_path = write(tmp_path, "t.json", FILTER_MAP)
    cases_path = write(tmp_path, "cases.json", cases)
    code, out, _ = run_cli(capsys, "test", topology_path, cases_path)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "PASS ok"
    assert lines[1] == "FAIL wrong gross"
    text = "\n".join(lines[2:])
    assert "out: expected 2 records, got 2 records" in text
    # the record expected in place of the one produced, and the field that differs
    assert '- missing    (expected #1) {"key": "a", "value": {"amount": 20, "gross": 41}}' in text
    assert '+ instead    (output #1) {"key": "a", "value": {"amount": 20, "gross": 40}}' in text
    assert "value.gross: expected 41, got 40" in text
    # a record nobody expected, and one that never came
    assert '- missing    (expected #2) {"key": "q", "value": {"amount": 1, "gross": 2}}' in text
    assert '+ unexpected (output #2) {"key": "z", "value": {"amount": 99, "gross": 198}}' in text
    assert lines[-1] == "2 cases: 1 passed, 1 failed"

    code, out, _ = run_cli(capsys, "test", topology_path, cases_path, "--json")
    assert code == 1
    result = json.loads(out)
    assert [(c["name"], c["passed"]) for c in result["cases"]] == [
        ("ok", True),
        ("wrong gross", False),
    ]
    assert result["cases"][1]["outputs"] == {
        "out": [rec("a", {"amount": 20, "gross": 40}), rec("z", {"amount": 99, "gross": 198})]
    }
    assert result["cases"][1]["dead_letters"] == 0


def test_dead_letter_count_is_checked_and_explained(capsys, tmp_path):
    cases = {
        "cases": [
            {
                "name": "bad value",
                "inputs": {"src": [rec("a", "not an object")]},
                "expect": {"out": []},
                "expect_dead_letters": 0,
            }
        ]
    }
    code, out, _ = run_cli(
        capsys, "test", write(tmp_path, "t.json", FILTER_MAP), write(tmp_path, "cases.json", cases)
    )
    assert code == 1
    assert "dead letters: expected 0, got 1" in out
    assert "at big: TypeError" in out


def test_a_sink_not_named_is_not_checked_and_order_matters(capsys, tmp_path):
    two_sinks = topo(
        [
            ("src", "kafka_source", {"topic": "in"}),
            ("a", "kafka_sink", {"topic": "a"}),
            ("b", "console_sink", {}),
        ],
        [("src", "a"), ("src", "b")],
    )
    cases = {
        "cases": [
            {
                "name": "only a",
                "inputs": {"src": [rec("k1", 1), rec("k2", 2)]},
                "expect": {"a": [rec("k1", 1), rec("k2", 2)]},
            },
            {
                "name": "order",
                "inputs": {"src": [rec("k1", 1), rec("k2", 2)]},
                "expect": {"a": [rec("k2", 2), rec("k1", 1)]},
            },
        ]
    }
    code, out, _ = run_cli(
        capsys,
        "test",
        write(tmp_path, "t.json", two_sinks),
        write(tmp_path, "cases.json", cases),
        "--json",
    )
    assert code == 1
    result = json.loads(out)["cases"]
    assert [c["passed"] for c in result] == [True, False]
    assert set(result[0]["outputs"]) == {"a", "b"}


# -- windows: emit final closes inside the input, or not at all --------------------------


WINDOWED = topo(
    [
        ("src", "kafka_source", {"topic": "in"}),
        (
            "count",
            "aggregate",
            {
                "window": {"type": "tumbling", "size": "10s"},
                "aggregations": [
                    {"name": "n", "fn": "count"},
                    {"name": "total", "fn": "sum", "expr": "value['x']"},
                ],
                "emit": "final",
            },
        ),
        ("out", "kafka_sink", {"topic": "out"}),
    ],
    [("src", "count"), ("count", "out")],
)


def window(key, start, n, total):
    return rec(
        key,
        {"key": key, "window_start": start, "window_end": start + 10_000, "n": n, "total": total},
    )


def test_emit_final_windows_close_inside_the_input_and_open_ones_are_not_flushed(capsys, tmp_path):
    closes = [
        rec("a", {"x": 1}, 1_000),
        rec("a", {"x": 2}, 9_999),
        rec("b", {"x": 5}, 4_000),
        rec("a", {"x": 7}, 12_000),
    ]  # stream time 12 s closes [0, 10 s); [10 s, 20 s) stays open
    stays_open = [rec("a", {"x": 1}, 1_000), rec("a", {"x": 2}, 9_999)]
    cases = {
        "cases": [
            {
                "name": "closes",
                "inputs": {"src": closes},
                "expect": {"out": [window("a", 0, 2, 3), window("b", 0, 1, 5)]},
            },
            {"name": "stays open", "inputs": {"src": stays_open}, "expect": {"out": []}},
            {
                "name": "expects a flush",
                "inputs": {"src": stays_open},
                "expect": {"out": [window("a", 0, 2, 3)]},
            },
        ]
    }
    code, out, _ = run_cli(
        capsys,
        "test",
        write(tmp_path, "w.json", WINDOWED),
        write(tmp_path, "cases.json", cases),
        "--json",
    )
    assert code == 1
    results = {c["name"]: c for c in json.loads(out)["cases"]}
    assert results["closes"]["passed"], results["closes"]
    assert results["stays open"]["passed"], results["stays open"]
    assert not results["expects a flush"]["passed"]
    assert results["expects a flush"]["outputs"] == {"out": []}


def test_inputs_are_processed_in_timestamp_order_across_sources(capsys, tmp_path):
    two_sources = topo(
        [
            ("s1", "kafka_source", {"topic": "one"}),
            ("s2", "kafka_source", {"topic": "two"}),
            ("m", "merge", {}),
            ("out", "kafka_sink", {"topic": "out"}),
        ],
        [("s1", "m"), ("s2", "m"), ("m", "out")],
    )
    records = trace_of(
        capsys,
        tmp_path,
        two_sources,
        {
            "s1": [rec("a", 1, 30), rec("b", 2, 10), rec("c", 3, 20)],
            "s2": [rec("d", 4, 20), rec("e", 5, 0)],
        },
    )
    sources = [(r["node"], r["key"]) for r in records if not r["parents"]]
    # timestamp order; at equal timestamps (c, d at 20) the order they were given in
    assert sources == [("s2", "e"), ("s1", "b"), ("s1", "c"), ("s2", "d"), ("s1", "a")]
    assert [r["key"] for r in records if r["node"] == "out"] == ["e", "b", "c", "d", "a"]


def test_an_emit_final_window_names_the_record_that_closed_it(capsys, tmp_path):
    records = trace_of(
        capsys,
        tmp_path,
        WINDOWED,
        {"src": [rec("a", {"x": 1}, 1_000), rec("a", {"x": 2}, 2_000), rec("b", {"x": 3}, 11_000)]},
    )
    by_id = {r["id"]: r for r in records}
    [emitted] = [r for r in records if r["node"] == "count"]
    assert emitted["value"] == {
        "key": "a",
        "window_start": 0,
        "window_end": 10_000,
        "n": 2,
        "total": 3,
    }
    [cause] = emitted["parents"]
    assert by_id[cause]["node"] == "src" and by_id[cause]["key"] == "b"
    [written] = [r for r in records if r["node"] == "out"]
    assert written["parents"] == [emitted["id"]]


# -- joins -----------------------------------------------------------------------------


TABLE_JOIN = topo(
    [
        ("orders", "kafka_source", {"topic": "orders"}),
        ("customers", "kafka_source", {"topic": "customers"}),
        (
            "enrich",
            "join",
            {
                "mode": "left",
                "expr": "{'order': left['id'], 'name': right['name'] if right else None}",
            },
        ),
        ("out", "kafka_sink", {"topic": "out"}),
    ],
    [("orders", "enrich", None, "left"), ("customers", "enrich", None, "right"), ("enrich", "out")],
)


def test_stream_table_join_cases_and_lineage_names_both_sides(capsys, tmp_path):
    inputs = {
        "customers": [rec("c1", {"name": "Ann"}, 0), rec("c1", {"name": "Anna"}, 5)],
        "orders": [rec("c1", {"id": 1}, 1), rec("c2", {"id": 2}, 2), rec("c1", {"id": 3}, 6)],
    }
    cases = {
        "cases": [
            {
                "name": "enriched",
                "inputs": inputs,
                "expect": {
                    "out": [
                        rec("c1", {"order": 1, "name": "Ann"}),
                        rec("c2", {"order": 2, "name": None}),
                        rec("c1", {"order": 3, "name": "Anna"}),
                    ]
                },
            }
        ]
    }
    code, out, err = run_cli(
        capsys, "test", write(tmp_path, "j.json", TABLE_JOIN), write(tmp_path, "cases.json", cases)
    )
    assert code == 0, out + err

    records = trace_of(capsys, tmp_path, TABLE_JOIN, inputs)
    by_id = {r["id"]: r for r in records}
    joined = [r for r in records if r["node"] == "enrich"]
    assert [r["value"] for r in joined] == [
        {"order": 1, "name": "Ann"},
        {"order": 2, "name": None},
        {"order": 3, "name": "Anna"},
    ]
    sides = [[(by_id[p]["node"], by_id[p]["value"]) for p in r["parents"]] for r in joined]
    assert sides == [
        [("orders", {"id": 1}), ("customers", {"name": "Ann"})],
        [("orders", {"id": 2})],  # no table row: the left side only
        [("orders", {"id": 3}), ("customers", {"name": "Anna"})],
    ]


STREAM_JOIN = topo(
    [
        ("views", "kafka_source", {"topic": "views"}),
        ("clicks", "kafka_source", {"topic": "clicks"}),
        ("pair", "join", {"mode": "left", "window": "10s", "expr": "[left, right]"}),
        ("out", "kafka_sink", {"topic": "out"}),
    ],
    [("views", "pair", None, "left"), ("clicks", "pair", None, "right"), ("pair", "out")],
)


def test_stream_stream_join_lineage_names_both_sides_and_unmatched_lefts_only_themselves(
    capsys, tmp_path
):
    records = trace_of(
        capsys,
        tmp_path,
        STREAM_JOIN,
        {
            "views": [rec("k", "v1", 1_000), rec("k", "v2", 2_000), rec("lonely", "v3", 3_000)],
            "clicks": [rec("k", "c1", 4_000), rec("k", "late-enough", 40_000)],
        },
    )
    by_id = {r["id"]: r for r in records}
    joined = [r for r in records if r["node"] == "pair"]
    parents = [(r["value"], sorted(by_id[p]["value"] for p in r["parents"])) for r in joined]
    # c1 joins both buffered views; v3 finds nothing and is emitted alone when its window closes
    assert (["v1", "c1"], ["c1", "v1"]) in parents
    assert (["v2", "c1"], ["c1", "v2"]) in parents
    assert (["v3", None], ["v3"]) in parents


# -- lineage through branch and flat_map, and dead letters ------------------------------


LINEAGE = topo(
    [
        ("src", "kafka_source", {"topic": "in"}),
        ("split", "branch", {"branches": [{"name": "big", "expr": "len(value['items']) >= 2"}]}),
        ("explode", "flat_map", {"expr": "[{'i': i} for i in value['items']]"}),
        ("div", "map", {"expr": "{'inv': 10 // value['i']}"}),
        ("big_out", "kafka_sink", {"topic": "big"}),
        ("small_out", "kafka_sink", {"topic": "small"}),
    ],
    [
        ("src", "split"),
        ("split", "explode", "big"),
        ("explode", "div"),
        ("div", "big_out"),
        ("split", "small_out", "else"),
    ],
)


def test_branch_and_flat_map_lineage_ids_and_parents(capsys, tmp_path):
    records = trace_of(
        capsys,
        tmp_path,
        LINEAGE,
        {"src": [rec("a", {"items": [0, 1, 2]}, 1), rec("b", {"items": [4]}, 2)]},
    )
    by_id = {r["id"]: r for r in records}
    # processing order, depth first: a, its branch, its three elements each through div, then b
    assert [(r["node"], r["key"]) for r in records] == [
        ("src", "a"),
        ("split", "a"),
        ("explode", "a"),
        ("div", "a"),
        ("explode", "a"),
        ("div", "a"),
        ("big_out", "a"),
        ("explode", "a"),
        ("div", "a"),
        ("big_out", "a"),
        ("src", "b"),
        ("split", "b"),
        ("small_out", "b"),
    ]
    src_a, split_a = records[0], records[1]
    assert src_a["parents"] == []
    assert split_a["parents"] == [src_a["id"]]
    elements = [r for r in records if r["node"] == "explode"]
    assert [e["value"] for e in elements] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert all(e["parents"] == [split_a["id"]] for e in elements)
    divs = [r for r in records if r["node"] == "div"]
    assert [d["parents"] for d in divs] == [[e["id"]] for e in elements]
    # 10 // 0 fails at div: the record appears once there, with the error and no children
    failed = divs[0]
    assert failed["error"].startswith("ZeroDivisionError")
    assert failed["value"] == {"i": 0}
    assert not any(failed["id"] in r["parents"] for r in records)
    assert all("error" not in r for r in records if r is not failed)
    sinks = [r for r in records if r["node"] == "big_out"]
    assert [by_id[s["parents"][0]]["value"] for s in sinks] == [{"inv": 10}, {"inv": 5}]
    small = [r for r in records if r["node"] == "small_out"]
    assert by_id[small[0]["parents"][0]]["node"] == "split"


def test_dead_letters_in_the_trace_carry_the_error(capsys, tmp_path):
    records = trace_of(
        capsys,
        tmp_path,
        FILTER_MAP,
        {"src": [rec("a", "text, not an object", 5), rec("b", {"amount": 50}, 6)]},
    )
    failed = [r for r in records if "error" in r]
    assert len(failed) == 1
    assert failed[0]["node"] == "big" and failed[0]["key"] == "a"
    assert "TypeError" in failed[0]["error"]
    assert [r["node"] for r in records if r["key"] == "b"] == ["src", "big", "tax", "out"]


def test_trace_writes_the_file_given_with_o(capsys, tmp_path):
    path = write(tmp_path, "t.json", FILTER_MAP)
    records = write(tmp_path, "r.jsonl", json.dumps(rec("a", {"amount": 20})) + "\n\n")
    out_path = tmp_path / "trace.json"
    code, out, _ = run_cli(capsys, "trace", path, "--input", f"src={records}", "-o", out_path)
    assert code == 0 and out == ""
    assert [r["node"] for r in json.loads(out_path.read_text())["records"]] == [
        "src",
        "big",
        "tax",
        "out",
    ]


def test_trace_shows_masked_values(capsys, tmp_path):
    masked = json.loads(json.dumps(FILTER_MAP))
    masked.setdefault("settings", {})["masking"] = [{"field": "email"}]
    path = write(tmp_path, "t.json", masked)
    value = {"amount": 20, "email": "someone@example.com"}
    records = write(tmp_path, "r.jsonl", json.dumps(rec("a", value)) + "\n")
    code, out, _ = run_cli(capsys, "trace", path, "--input", f"src={records}")
    assert code == 0
    assert "example.com" not in out
    assert {r["value"]["email"] for r in json.loads(out)["records"]} == {"***"}


# -- unusable files: exit 2, one sentence ----------------------------------------------


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda d: ["test", d / "missing.json", d / "cases.json"], "missing.json: No such file"),
        (
            lambda d: ["test", d / "t.json", d / "missing-cases.json"],
            "missing-cases.json: no such file",
        ),
        (
            lambda d: ["test", d / "invalid.json", d / "cases.json"],
            "is not a valid topology: big: ",
        ),
        (lambda d: ["test", d / "t.json", d / "notjson.json"], "notjson.json: not JSON"),
        (
            lambda d: ["test", d / "t.json", d / "nocases.json"],
            'expected an object {"cases": [...]}',
        ),
        (lambda d: ["test", d / "t.json", d / "tofilter.json"], "'big' is a filter, not a source"),
        (
            lambda d: ["test", d / "t.json", d / "badexpect.json"],
            "expect: 'tax' is a set_fields, not a sink",
        ),
        (lambda d: ["test", d / "t.json", d / "badts.json"], "timestamp must be milliseconds"),
        (
            lambda d: ["trace", d / "t.json", "--input", f"src={d / 'bad.jsonl'}"],
            "bad.jsonl line 2: not JSON",
        ),
        (
            lambda d: ["trace", d / "t.json", "--input", f"ghost={d / 'r.jsonl'}"],
            "there is no node 'ghost'",
        ),
        (
            lambda d: ["trace", d / "t.json", "--input", str(d / "r.jsonl")],
            "expected NODE=RECORDS.jsonl",
        ),
        (
            lambda d: ["trace", d / "t.json", "--input", f"src={d / 'nofile.jsonl'}"],
            "nofile.jsonl: no such file",
        ),
    ],
)
def test_unusable_files_exit_2_with_one_sentence(capsys, tmp_path, make, expected):
    write(tmp_path, "t.json", FILTER_MAP)
    broken = json.loads(json.dumps(FILTER_MAP))
    broken["nodes"][1]["params"]["expr"] = "value['amount'] >"
    write(tmp_path, "invalid.json", broken)
    ok_case = {"name": "c", "inputs": {"src": [rec("a", {"amount": 1})]}, "expect": {}}
    write(tmp_path, "cases.json", {"cases": [ok_case]})
    write(tmp_path, "notjson.json", "{cases: nope")
    write(tmp_path, "nocases.json", {"tests": []})
    write(tmp_path, "tofilter.json", {"cases": [{**ok_case, "inputs": {"big": []}}]})
    write(tmp_path, "badexpect.json", {"cases": [{**ok_case, "expect": {"tax": []}}]})
    write(
        tmp_path,
        "badts.json",
        {"cases": [{**ok_case, "inputs": {"src": [{"value": 1, "timestamp": "noon"}]}}]},
    )
    write(tmp_path, "bad.jsonl", '{"value": 1}\n{"value": \n')
    write(tmp_path, "r.jsonl", '{"value": 1}\n')
    code, out, err = run_cli(capsys, *make(tmp_path))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert expected in err
