"""Validation: every kind of problem, with the node it belongs to and a human sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.model import fileformat
from engine.model.catalogue import NODE_TYPES
from engine.model.problems import ERROR, WARNING
from engine.model.topology import Edge, Node, Topology
from engine.model.validation import check_node, errors, validate

DEMO = Path(__file__).resolve().parents[3] / "resources" / "demo" / "ecommerce.topology.json"


def problems_of(data: dict):
    topology, problems = fileformat.from_dict(data)
    return problems + validate(topology)


def chain(node: dict, *, settings=None, name="app", extra_edges=()) -> dict:
    """source 'src' -> node -> console sink 'out', a valid frame around one node."""
    return {
        "format": "topology-studio/1",
        "name": name,
        "settings": settings or {},
        "nodes": [
            {"id": "src", "type": "kafka_source", "params": {"topic": "in"}},
            node,
            {"id": "out", "type": "console_sink", "params": {}},
        ],
        "edges": [
            {"from": "src", "to": node["id"]},
            {"from": node["id"], "to": "out"},
            *extra_edges,
        ],
    }


def join_topology(params: dict) -> dict:
    return {
        "format": "topology-studio/1",
        "name": "app",
        "nodes": [
            {"id": "l", "type": "kafka_source", "params": {"topic": "l"}},
            {"id": "r", "type": "kafka_source", "params": {"topic": "r"}},
            {"id": "j", "type": "join", "params": params},
            {"id": "out", "type": "console_sink"},
        ],
        "edges": [
            {"from": "l", "to": "j", "to_port": "left"},
            {"from": "r", "to": "j", "to_port": "right"},
            {"from": "j", "to": "out"},
        ],
    }


def assert_problem(problems, node_id, phrase, severity=ERROR):
    matching = [
        p
        for p in problems
        if p.node_id == node_id and phrase in p.message and p.severity == severity
    ]
    assert matching, f"no {severity} for {node_id!r} saying {phrase!r} in:\n" + "\n".join(
        str(p) for p in problems
    )
    return matching[0]


def agg(**params) -> dict:
    return {
        "id": "agg",
        "type": "aggregate",
        "params": {"aggregations": [{"name": "n", "fn": "count"}], **params},
    }


# -- the good ones ------------------------------------------------------------------


def test_demo_topology_is_valid():
    topology, problems = fileformat.read(DEMO)
    assert problems == []
    assert errors(validate(topology)) == []


@pytest.mark.parametrize(
    "node",
    [
        {"id": "n", "type": "filter", "params": {"expr": "value['a'] > 1"}},
        {"id": "n", "type": "map", "params": {"expr": "{'a': value}"}},
        {"id": "n", "type": "set_fields", "params": {"fields": {"b": "value['a'] * 2"}}},
        {"id": "n", "type": "flat_map", "params": {"expr": "value['items']"}},
        {"id": "n", "type": "rekey", "params": {"expr": "value['user']"}},
        {"id": "n", "type": "merge", "params": {}},
        {
            "id": "n",
            "type": "aggregate",
            "params": {
                "group_by": "value['c']",
                "window": {"type": "tumbling", "size": "1m", "grace": "0s"},
                "aggregations": [
                    {"name": "s", "fn": "sum", "expr": "value['x']"},
                    {"name": "n", "fn": "count"},
                ],
                "emit": "final",
            },
        },
        {
            "id": "n",
            "type": "aggregate",
            "params": {
                "window": {"type": "hopping", "size": "1m", "advance": "10s"},
                "aggregations": [{"name": "u", "fn": "count_distinct", "expr": "value['user']"}],
            },
        },
        {
            "id": "n",
            "type": "aggregate",
            "params": {
                "window": {"type": "session", "gap": "30s"},
                "aggregations": [{"name": "n", "fn": "count"}],
                "emit": "update",
            },
        },
    ],
)
def test_valid_nodes_have_no_problems(node):
    assert problems_of(chain(node)) == []


def test_valid_join_and_sinks():
    data = join_topology({"expr": "{**left, 'r': right}", "mode": "left", "window": "5m"})
    data["nodes"] += [
        {"id": "k", "type": "kafka_sink", "params": {"topic": "o", "value_format": "string"}},
        {"id": "f", "type": "file_sink", "params": {"path": "o.jsonl"}},
    ]
    data["edges"] += [{"from": "j", "to": "k"}, {"from": "j", "to": "f"}]
    assert problems_of(data) == []


def test_valid_branch_with_ports():
    data = chain(
        {
            "id": "b",
            "type": "branch",
            "params": {
                "branches": [
                    {"name": "big", "expr": "value > 10"},
                    {"name": "small", "expr": "value < 2"},
                ]
            },
        }
    )
    data["edges"][1]["from_port"] = "big"
    data["nodes"].append({"id": "o2", "type": "console_sink"})
    data["edges"] += [{"from": "b", "from_port": "else", "to": "o2"}]
    assert problems_of(data) == []


def test_every_catalogue_type_has_valid_new_node_params():
    for name, node_type in NODE_TYPES.items():
        assert check_node("n", name, node_type.defaults()) == [], name


# -- node types and params ----------------------------------------------------------


def test_unknown_node_type():
    p = assert_problem(
        problems_of(chain({"id": "x", "type": "fliter", "params": {}})),
        "x",
        "unknown node type 'fliter'; known types are kafka_source",
    )
    assert "filter" in p.message


@pytest.mark.parametrize("node_type", [None, 5, "", ["filter"], {"a": 1}])
def test_missing_or_odd_node_type(node_type):
    node = {"id": "x", "params": {}}
    if node_type is not None:
        node["type"] = node_type
    assert_problem(problems_of(chain(node)), "x", "the node has no type; known types are")


def test_unknown_param():
    node = {"id": "f", "type": "filter", "params": {"expr": "True", "exp": "1"}}
    p = assert_problem(problems_of(chain(node)), "f", "unknown param 'exp'; Filter takes expr")
    assert p.param == "exp"


def test_unknown_param_of_a_node_without_params():
    node = {"id": "m", "type": "merge", "params": {"x": 1}}
    assert_problem(problems_of(chain(node)), "m", "unknown param 'x'; Merge takes no params")


def test_missing_required_param():
    node = {"id": "f", "type": "filter", "params": {}}
    p = assert_problem(problems_of(chain(node)), "f", "the required param 'expr' is missing")
    assert p.param == "expr"


def test_null_required_param_counts_as_missing():
    node = {"id": "f", "type": "filter", "params": {"expr": None}}
    assert_problem(problems_of(chain(node)), "f", "the required param 'expr' is missing")


@pytest.mark.parametrize(
    "params,phrase",
    [
        ({"topic": 5}, "topic 5 is not a valid topic name"),
        ({"topic": "has space"}, "topic 'has space' is not a valid topic name"),
        ({"topic": "orders\n"}, "is not a valid topic name"),
        ({"topic": ".."}, "is not a valid topic name"),
        ({"topic": "x" * 250}, "is not a valid topic name"),
        ({"topic": "t", "profile": "orders", "rate": "fast"}, "rate must be a number, not 'fast'"),
        ({"topic": "t", "rate": True}, "rate must be a number, not True"),
        ({"topic": "t", "rate": float("nan")}, "rate must be a number"),
        ({"topic": "t", "rate": float("inf")}, "rate must be a number"),
        ({"topic": "t", "rate": -1}, "rate must be at least 0"),
        ({"topic": "t", "seed": 1.5}, "seed must be a whole number, not 1.5"),
        ({"topic": "t", "limit": -3}, "limit must be at least 0"),
    ],
)
def test_wrong_type(params, phrase):
    node = {"id": "g", "type": "generator_source", "params": params}
    data = {
        "format": "topology-studio/1",
        "name": "app",
        "nodes": [node, {"id": "out", "type": "console_sink"}],
        "edges": [{"from": "g", "to": "out"}],
    }
    assert_problem(problems_of(data), "g", phrase)


def test_wrong_type_for_text_param():
    data = chain({"id": "f", "type": "filter", "params": {"expr": "True"}})
    data["nodes"][2] = {"id": "out", "type": "file_sink", "params": {"path": "  "}}
    assert_problem(problems_of(data), "out", "path must be a non-empty text")


def test_params_not_an_object():
    topology = Topology("app")
    topology.add_node(Node("f", "filter", ["expr"]))  # type: ignore[arg-type]
    assert_problem(validate(topology), "f", "params must be an object")


@pytest.mark.parametrize("value", ["newest", 1, "Earliest", ["earliest"]])
def test_bad_enum(value):
    data = chain({"id": "f", "type": "filter", "params": {"expr": "True"}})
    data["nodes"][0]["params"]["start"] = value
    p = assert_problem(problems_of(data), "src", "start must be one of earliest, latest, not ")
    assert repr(value) in p.message


@pytest.mark.parametrize(
    "window,phrase",
    [
        ("5 minutes", "window '5 minutes' is not a duration; write a number and a unit"),
        ("-5s", "is not a duration"),
        ("1.5s", "is not a duration"),
        ("10", "is not a duration"),
        (-1, "window -1 is negative"),
        (True, "window True is not a duration"),
        ([1], "is not a duration"),
    ],
)
def test_bad_duration(window, phrase):
    data = join_topology({"expr": "left", "window": window})
    assert_problem(problems_of(data), "j", phrase)


@pytest.mark.parametrize(
    "window,phrase",
    [
        ({"type": "tumbling"}, "window of type tumbling needs 'size'"),
        ({"type": "hopping", "size": "1m"}, "window of type hopping needs 'advance'"),
        ({"type": "session"}, "window of type session needs 'gap'"),
        (
            {"type": "hopping", "size": "1m", "advance": "2m"},
            "advance must not be longer than size",
        ),
        ({"type": "tumbling", "size": "1m", "grase": "1s"}, "window has unknown keys grase"),
        (
            {"type": "rolling", "size": "1m"},
            "window type must be one of none, tumbling, hopping, session, sliding, not 'rolling'",
        ),
        ({"type": "tumbling", "size": "0s"}, "window size must be longer than 0"),
        (
            {"type": "tumbling", "size": "1m", "grace": "soon"},
            "window grace: 'soon' is not a duration",
        ),
        ("1m", "window must be an object with a type"),
        ([], "window must be an object with a type"),
    ],
)
def test_bad_window(window, phrase):
    p = assert_problem(problems_of(chain(agg(window=window))), "agg", phrase)
    assert p.param == "window"


def test_window_key_of_another_window_type_is_a_warning():
    problems = problems_of(chain(agg(window={"type": "tumbling", "size": "1m", "advance": "10s"})))
    assert errors(problems) == []
    assert_problem(problems, "agg", "'advance' has no effect on a window of type tumbling", WARNING)


@pytest.mark.parametrize("window", [None, {"type": "none"}])
def test_emit_final_needs_a_window(window):
    params = {"emit": "final"} if window is None else {"emit": "final", "window": window}
    assert_problem(problems_of(chain(agg(**params))), "agg", "emit 'final' needs a window")


@pytest.mark.parametrize(
    "aggregations,phrase",
    [
        (
            [{"name": "s", "fn": "median", "expr": "value"}],
            "'s': fn must be one of count, sum, avg, min, max, first, last, count_distinct, "
            "reduce, not 'median'",
        ),
        ([{"name": "s", "fn": "sum"}], "'s': sum needs an expr"),
        ([{"name": "a", "fn": "avg"}], "'a': avg needs an expr"),
        (
            [{"name": "n", "fn": "count"}, {"name": "n", "fn": "count"}],
            "has two aggregations named 'n'",
        ),
        ([{"name": "key", "fn": "count"}], "'key' is already a field of the output"),
        (
            [{"name": "window_start", "fn": "count"}],
            "'window_start' is already a field of the output",
        ),
        ([{"name": "window_end", "fn": "count"}], "'window_end' is already a field of the output"),
        ([{"fn": "count"}], "aggregation 1 has no name"),
        (
            [{"name": "n", "fn": "count"}, "count"],
            "aggregation 2 must be an object with 'name', 'fn', 'expr' (and 'init', 'subtract')",
        ),
        ([{"name": "r", "fn": "reduce"}], "'r': reduce needs an expr"),
        (
            [{"name": "r", "fn": "reduce", "expr": "agg + key"}],
            "'r': unknown name 'key'",
        ),
        (
            [{"name": "s", "fn": "sum", "expr": "value", "init": "0"}],
            "'s': only a reduce takes an init",
        ),
        (
            [{"name": "r", "fn": "reduce", "expr": "agg + value", "init": "value"}],
            "'r': init is a constant: it can use no names ('value')",
        ),
        (
            [{"name": "r", "fn": "reduce", "expr": "agg + value", "init": "{1, 2}"}],
            "'r': init must give a JSON value",
        ),
        (
            [{"name": "r", "fn": "reduce", "expr": "agg + value", "init": "1 // 0"}],
            "'r': init fails: ZeroDivisionError",
        ),
        ([{"name": "n", "fn": "count", "extra": 1}], "aggregation 1 must be an object"),
        ([], "must list at least one aggregation"),
        ({"name": "n", "fn": "count"}, "must list at least one aggregation"),
    ],
)
def test_bad_aggregations(aggregations, phrase):
    node = {"id": "agg", "type": "aggregate", "params": {"aggregations": aggregations}}
    p = assert_problem(problems_of(chain(node)), "agg", phrase)
    assert p.param == "aggregations"


def test_a_reduce_takes_agg_and_value_and_a_constant_init():
    reduce = {"name": "r", "fn": "reduce", "expr": "agg + '+' + value", "init": "'0'"}
    node = {"id": "agg", "type": "aggregate", "params": {"aggregations": [reduce]}}
    assert errors(problems_of(chain(node))) == []
    node["params"]["window"] = {"type": "tumbling", "size": "1m"}
    assert errors(problems_of(chain(node))) == []


def test_a_reduce_with_an_init_cannot_merge_sessions():
    reduce = {"name": "r", "fn": "reduce", "expr": "agg + 1", "init": "0"}
    params = {"aggregations": [reduce], "window": {"type": "session", "gap": "1m"}}
    node = {"id": "agg", "type": "aggregate", "params": params}
    p = assert_problem(
        problems_of(chain(node)), "agg", "a reduce with an init cannot merge sessions"
    )
    assert p.param == "aggregations"
    del reduce["init"]
    assert errors(problems_of(chain(node))) == []


@pytest.mark.parametrize(
    "branches,phrase",
    [
        (
            [{"name": "a", "expr": "True"}, {"name": "a", "expr": "False"}],
            "has two branches named 'a'",
        ),
        (
            [{"name": "else", "expr": "True"}],
            "'else' is the name of the port for records no branch takes",
        ),
        ([{"expr": "True"}], "branch 1 has no name"),
        ([{"name": "a"}], "'a': an expression must be a string"),
        (
            [{"name": "a", "expr": "True", "when": 1}],
            "branch 1 must be an object with 'name' and 'expr'",
        ),
        ([], "must list at least one branch"),
        (5, "must list at least one branch"),
    ],
)
def test_bad_branches(branches, phrase):
    node = {"id": "b", "type": "branch", "params": {"branches": branches}}
    assert_problem(problems_of(chain(node)), "b", phrase)


# -- unsafe expressions, in every param that holds one ---------------------------------

UNSAFE = "__import__('os').system('true')"


@pytest.mark.parametrize(
    "node,phrase",
    [
        (
            {"id": "x", "type": "filter", "params": {"expr": UNSAFE}},
            "(expr): the method '.system()' is not allowed",
        ),
        (
            {"id": "x", "type": "map", "params": {"expr": "value.__class__"}},
            "(expr): attribute access '.__class__'",
        ),
        (
            {
                "id": "x",
                "type": "set_fields",
                "params": {"fields": {"a": "1", "b": "open('/etc/passwd')"}},
            },
            "fields 'b': calling 'open' is not allowed",
        ),
        (
            {"id": "x", "type": "flat_map", "params": {"expr": "[lambda: 1]"}},
            "(expr): lambdas are not allowed",
        ),
        (
            {"id": "x", "type": "rekey", "params": {"expr": "9**9**9"}},
            "(expr): 9 ** 387420489 is too large",
        ),
        (
            {
                "id": "x",
                "type": "branch",
                "params": {"branches": [{"name": "a", "expr": "eval('1')"}]},
            },
            "branches 'a': calling 'eval' is not allowed",
        ),
        (
            {
                "id": "x",
                "type": "aggregate",
                "params": {"group_by": "globals()", "aggregations": [{"name": "n", "fn": "count"}]},
            },
            "(group_by): calling 'globals' is not allowed",
        ),
        (
            {
                "id": "x",
                "type": "aggregate",
                "params": {"aggregations": [{"name": "s", "fn": "sum", "expr": "key.__len__()"}]},
            },
            "aggregations 's': the method '.__len__()' is not allowed",
        ),
        (
            {
                "id": "x",
                "type": "aggregate",
                "params": {"aggregations": [{"name": "s", "fn": "sum", "expr": "value["}]},
            },
            "aggregations 's': syntax error",
        ),
    ],
)
def test_unsafe_expression_in_each_param(node, phrase):
    assert_problem(problems_of(chain(node)), "x", phrase)


def test_expression_problem_quotes_the_expression():
    node = {"id": "x", "type": "filter", "params": {"expr": "vlaue > 1"}}
    p = assert_problem(problems_of(chain(node)), "x", "unknown name 'vlaue'")
    assert "'vlaue > 1'" in p.message and p.param == "expr"


def test_kafka_source_timestamp_expression():
    data = chain({"id": "f", "type": "filter", "params": {"expr": "True"}})
    data["nodes"][0]["params"]["timestamp"] = "value['ts'].__class__"
    assert_problem(
        problems_of(data),
        "src",
        "timestamp must be 'record' or an expression giving ms: attribute access '.__class__'",
    )
    data["nodes"][0]["params"]["timestamp"] = "value['ts'] * 1000"
    assert problems_of(data) == []
    data["nodes"][0]["params"]["timestamp"] = "record"
    assert problems_of(data) == []


def test_join_expression_uses_left_and_right():
    assert problems_of(join_topology({"expr": "{'a': left['a'], 'b': right, 'k': key}"})) == []
    assert_problem(
        problems_of(join_topology({"expr": "value['a']"})),
        "j",
        "(expr): unknown name 'value'; an expression can use key, left, right",
    )
    assert_problem(problems_of(join_topology({"expr": "left.__class__"})), "j", "attribute access")


def test_left_and_right_are_not_record_names():
    node = {"id": "x", "type": "filter", "params": {"expr": "left"}}
    assert_problem(problems_of(chain(node)), "x", "unknown name 'left'")


# -- graph --------------------------------------------------------------------------


def test_dangling_edge_in_file():
    data = chain(
        {"id": "f", "type": "filter", "params": {"expr": "True"}},
        extra_edges=[{"from": "f", "to": "ghost"}, {"from": "nobody", "to": "out"}],
    )
    problems = problems_of(data)
    assert_problem(problems, "f", "has an edge to 'ghost', which is not a node")
    assert_problem(problems, "out", "has an edge from 'nobody', which is not a node")


def test_dangling_edge_in_model():
    topology = Topology("app")
    topology.add_node(Node("src", "kafka_source", {"topic": "t"}))
    topology.edges.append(Edge("src", "ghost"))  # bypassing the model's own check
    assert_problem(validate(topology), "src", "has an edge to 'ghost', which is not a node")


def test_unknown_from_port():
    data = chain({"id": "f", "type": "filter", "params": {"expr": "True"}})
    data["edges"][1]["from_port"] = "yes"
    assert_problem(problems_of(data), "f", "has no output port 'yes' (ports: out)")


def test_unknown_branch_port():
    data = chain(
        {"id": "b", "type": "branch", "params": {"branches": [{"name": "big", "expr": "True"}]}}
    )
    data["edges"][1]["from_port"] = "small"
    assert_problem(problems_of(data), "b", "has no output port 'small' (ports: big, else)")


def test_unknown_to_port():
    data = join_topology({"expr": "left"})
    data["edges"][1]["to_port"] = "middle"
    problems = problems_of(data)
    assert_problem(problems, "j", "has no input port 'middle' (ports: left, right)")
    assert_problem(problems, "j", "its 'right' input is not connected")


def test_edge_out_of_a_sink_and_into_a_source():
    data = chain(
        {"id": "f", "type": "filter", "params": {"expr": "True"}},
        extra_edges=[{"from": "out", "to": "src"}],
    )
    problems = problems_of(data)
    assert_problem(
        problems, "out", "is a sink and has no output, but an edge leads from it to 'src'"
    )
    assert_problem(
        problems, "src", "is a source and takes no input, but an edge leads to it from 'out'"
    )


def test_input_port_taken_twice():
    data = chain({"id": "f", "type": "filter", "params": {"expr": "True"}})
    data["nodes"].append({"id": "src2", "type": "kafka_source", "params": {"topic": "b"}})
    data["edges"].append({"from": "src2", "to": "f"})
    assert_problem(problems_of(data), "f", "input 'in' has more than one edge; use a merge node")


def test_merge_takes_many_inputs():
    data = chain({"id": "m", "type": "merge", "params": {}})
    data["nodes"].append({"id": "src2", "type": "kafka_source", "params": {"topic": "b"}})
    data["edges"].append({"from": "src2", "to": "m"})
    assert problems_of(data) == []


def test_join_side_taken_twice():
    data = join_topology({"expr": "left"})
    data["edges"].append({"from": "r", "to": "j", "to_port": "left"})
    assert_problem(problems_of(data), "j", "input 'left' has more than one edge")


def test_cycle_names_its_path():
    data = {
        "format": "topology-studio/1",
        "name": "app",
        "nodes": [
            {"id": "src", "type": "kafka_source", "params": {"topic": "t"}},
            {"id": "m", "type": "merge"},
            {"id": "a", "type": "map", "params": {"expr": "value"}},
            {"id": "b", "type": "filter", "params": {"expr": "True"}},
            {"id": "out", "type": "console_sink"},
        ],
        "edges": [
            {"from": "src", "to": "m"},
            {"from": "m", "to": "a"},
            {"from": "a", "to": "b"},
            {"from": "b", "to": "m"},
            {"from": "b", "to": "out"},
        ],
    }
    problems = problems_of(data)
    cycle = [p for p in problems if "cycle" in p.message]
    assert len(cycle) == 1 and cycle[0].is_error
    assert "a topology must be acyclic" in cycle[0].message
    path = cycle[0].message.split("(")[1].split(")")[0].split(" → ")
    assert path[0] == path[-1] == cycle[0].node_id
    assert sorted(path[:-1]) == ["a", "b", "m"]


def test_self_loop_is_a_cycle():
    topology = Topology("app")
    topology.add_node(Node("m", "merge"))
    topology.connect("m", "m")
    assert_problem(validate(topology), "m", "is part of a cycle (m → m)")


@pytest.mark.parametrize(
    "node,phrase",
    [
        ({"id": "f", "type": "filter", "params": {"expr": "True"}}, "its input is not connected"),
        (
            {"id": "j", "type": "join", "params": {"expr": "left"}},
            "its 'left' input is not connected",
        ),
        (
            {"id": "j", "type": "join", "params": {"expr": "left"}},
            "its 'right' input is not connected",
        ),
    ],
)
def test_unconnected_input(node, phrase):
    data = {"format": "topology-studio/1", "name": "app", "nodes": [node], "edges": []}
    assert_problem(problems_of(data), node["id"], phrase)


def test_unconnected_output_is_a_warning():
    data = {
        "format": "topology-studio/1",
        "name": "app",
        "nodes": [{"id": "src", "type": "kafka_source", "params": {"topic": "t"}}],
        "edges": [],
    }
    problems = problems_of(data)
    assert errors(problems) == []
    assert_problem(problems, "src", "its output is not connected to anything", WARNING)


# -- topology-level -----------------------------------------------------------------


def test_unknown_settings_key():
    data = chain(
        {"id": "f", "type": "filter", "params": {"expr": "True"}},
        settings={"guarantee": "exactly_once"},
    )
    assert_problem(
        problems_of(data),
        None,
        "unknown setting 'guarantee'; known settings are processing_guarantee",
    )


@pytest.mark.parametrize(
    "settings,phrase",
    [
        (
            {"processing_guarantee": "exactly-once"},
            "setting 'processing_guarantee' must be one of "
            "at_least_once, exactly_once, not 'exactly-once'",
        ),
        (
            {"dead_letter_topic": "dlq topic"},
            "setting 'dead_letter_topic' 'dlq topic' is not a valid topic",
        ),
        ({"commit_interval": "often"}, "setting 'commit_interval' 'often' is not a duration"),
        ({"topic_partitions": 0}, "setting 'topic_partitions' must be at least 1"),
        ({"topic_partitions": "3"}, "setting 'topic_partitions' must be a whole number"),
    ],
)
def test_bad_settings_value(settings, phrase):
    data = chain({"id": "f", "type": "filter", "params": {"expr": "True"}}, settings=settings)
    assert_problem(problems_of(data), None, phrase)


def test_null_setting_means_default():
    data = chain(
        {"id": "f", "type": "filter", "params": {"expr": "True"}},
        settings={"dead_letter_topic": None},
    )
    assert problems_of(data) == []


def test_settings_not_an_object():
    topology = Topology("app")
    topology.settings = ["x"]  # type: ignore[assignment]
    assert_problem(validate(topology), None, "settings must be an object")


@pytest.mark.parametrize("name", ["my app", "", "app\n", "é", "..", 5, None, "x" * 250])
def test_invalid_topology_name(name):
    topology = Topology("app")
    topology.name = name
    p = assert_problem(validate(topology), None, "cannot be used as an application id")
    assert str(p).startswith("topology: the name ")


def test_problems_have_a_stable_order():
    data = chain({"id": "f", "type": "fliter"}, settings={"x": 1})
    assert [str(p) for p in problems_of(data)] == [str(p) for p in problems_of(data)]


@pytest.mark.parametrize(
    "node, param, phrase",
    [
        (
            {"id": "f", "type": "filter", "params": {"expr": "value['status'] is 'paid'"}},
            "expr",
            'Python warns: "is" with a literal',
        ),
        (
            {"id": "f", "type": "map", "params": {"expr": "1if value else 2"}},
            "expr",
            "Python warns: invalid decimal literal in '1if value else 2'",
        ),
        (
            {
                "id": "f",
                "type": "branch",
                "params": {"branches": [{"name": "a", "expr": "key is 'x'"}]},
            },
            "branches",
            'Python warns: "is" with a literal',
        ),
    ],
)
def test_what_python_warns_of_an_expression_is_a_warning_of_its_node(node, param, phrase, capfd):
    # The same text on two nodes: each is told (the check itself is done once).
    twin = dict(node, id="g")
    data = chain(node, extra_edges=[{"from": "src", "to": "g"}, {"from": "g", "to": "out2"}])
    data["nodes"] += [twin, {"id": "out2", "type": "console_sink", "params": {}}]
    if node["type"] == "branch":
        for edge in data["edges"]:
            if edge["from"] in ("f", "g"):
                edge["from_port"] = "a"
    for _ in range(2):
        problems = problems_of(data)
        assert errors(problems) == []
        for node_id in ("f", "g"):
            assert assert_problem(problems, node_id, phrase, WARNING).param == param
    # Nothing is printed: the warning is the node's, not a line of stderr without a node id.
    out, err = capfd.readouterr()
    assert "SyntaxWarning" not in out + err


def test_an_expression_python_does_not_warn_of_gets_no_warning():
    problems = problems_of(
        chain({"id": "f", "type": "filter", "params": {"expr": "value['s'] == 'paid'"}})
    )
    assert problems == []


def test_a_param_problem_names_the_param_by_its_label_and_key():
    t = Topology("t")
    t.add_node(Node("s", "kafka_source", {"topic": "in"}))
    t.add_node(Node("f", "filter", {"expr": "valeur > 1"}))
    t.add_edge(Edge("s", "f"))
    (problem,) = [p for p in validate(t) if p.node_id == "f" and p.is_error]
    assert problem.message.startswith("Keep when (expr): unknown name 'valeur'")
    assert problem.param == "expr"


@pytest.mark.parametrize(
    "params,param,phrase",
    [
        ({"mode": "outer"}, "mode", "mode 'outer' needs a window"),
        ({"before": "1m"}, "before", "before needs a window"),
        ({"after": "1m"}, "after", "after needs a window"),
    ],
)
def test_outer_mode_and_asymmetric_windows_need_a_stream_stream_join(params, param, phrase):
    t = Topology("app")
    t.add_node(Node("a", "kafka_source", {"topic": "a"}))
    t.add_node(Node("b", "kafka_source", {"topic": "b"}))
    t.add_node(Node("j", "join", {"expr": "left", **params}))
    t.add_node(Node("out", "kafka_sink", {"topic": "out"}))
    t.add_edge(Edge("a", "j", target_port="left"))
    t.add_edge(Edge("b", "j", target_port="right"))
    t.add_edge(Edge("j", "out"))
    p = assert_problem(validate(t), "j", phrase)
    assert p.param == param
    t.set_param("j", "window", "5m")
    assert errors(validate(t)) == []


@pytest.mark.parametrize(
    "node_type, aggregation, phrase",
    [
        ("table_aggregate", {"name": "m", "fn": "max", "expr": "value"}, "max cannot be undone"),
        (
            "table_aggregate",
            {"name": "r", "fn": "reduce", "expr": "agg + value"},
            "a reduce in a table aggregate needs a subtract",
        ),
        (
            "table_aggregate",
            {"name": "s", "fn": "sum", "expr": "value", "subtract": "agg - value"},
            "only a reduce takes a subtract",
        ),
        (
            "table_aggregate",
            {"name": "r", "fn": "reduce", "expr": "agg + value", "subtract": "agg - nope"},
            "subtract unknown name",
        ),
        (
            "aggregate",
            {"name": "r", "fn": "reduce", "expr": "agg + value", "subtract": "agg - value"},
            "only a table aggregate takes back values",
        ),
    ],
)
def test_what_a_table_aggregate_can_take_back(node_type, aggregation, phrase):
    params = {"aggregations": [aggregation]}
    if node_type == "table_aggregate":
        params["group_by"] = "value"
    node = {"id": "agg", "type": node_type, "params": params}
    assert_problem(problems_of(chain(node)), "agg", phrase)


def test_a_table_aggregate_with_what_it_can_take_back_is_valid():
    aggregations = [
        {"name": "n", "fn": "count"},
        {"name": "s", "fn": "sum", "expr": "value['x']"},
        {"name": "a", "fn": "avg", "expr": "value['x']"},
        {"name": "r", "fn": "reduce", "expr": "agg + value", "subtract": "agg - value"},
    ]
    node = {
        "id": "agg",
        "type": "table_aggregate",
        "params": {"group_by": "value['g']", "aggregations": aggregations},
    }
    assert not errors(problems_of(chain(node)))
