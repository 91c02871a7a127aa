"""The topology file: round trips, broken files that must never crash, atomic writes,
and a fuzz test feeding random JSON through loading and validation."""

from __future__ import annotations

import copy
import json
import os
import random
import stat
from pathlib import Path

import pytest

from engine.model import fileformat
from engine.model.catalogue import NODE_TYPES
from engine.model.problems import Problem, TopologyError
from engine.model.topology import Edge, Node, Topology
from engine.model.validation import validate

DEMO = Path(__file__).resolve().parents[3] / "resources" / "demo" / "ecommerce.topology.json"
BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

CANONICAL = {
    "format": "topology-studio/1",
    "name": "ecommerce-dashboard",
    "settings": {
        "processing_guarantee": "at_least_once",
        "dead_letter_topic": "ecommerce-dashboard.dlq",
    },
    "nodes": [
        {
            "id": "orders",
            "type": "kafka_source",
            "params": {"topic": "orders"},
            "position": [40, 120],
        },
        {
            "id": "paid",
            "type": "filter",
            "params": {"expr": "value['status'] == 'paid'"},
            "position": [240.5, -12.5],
        },
        {
            "id": "split",
            "type": "branch",
            "params": {"branches": [{"name": "big", "expr": "value['amount'] > 100"}]},
        },
        {
            "id": "revenue",
            "type": "aggregate",
            "params": {
                "group_by": "value['category']",
                "window": {"type": "tumbling", "size": "1m", "grace": "0s"},
                "aggregations": [
                    {"name": "revenue", "fn": "sum", "expr": "value['amount']"},
                    {"name": "orders", "fn": "count"},
                ],
                "emit": "final",
            },
        },
        {"id": "join", "type": "join", "params": {"expr": "{**left, 'r': right}"}},
        {"id": "out", "type": "kafka_sink", "params": {"topic": "revenue-by-category"}},
    ],
    "edges": [
        {"from": "orders", "to": "paid"},
        {"from": "paid", "to": "split"},
        {"from": "split", "from_port": "big", "to": "revenue"},
        {"from": "revenue", "to": "join", "to_port": "left"},
        {"from": "split", "from_port": "else", "to": "join", "to_port": "right"},
        {"from": "join", "to": "out"},
    ],
}


# -- round trips --------------------------------------------------------------------


def test_round_trip_is_equal():
    topology, problems = fileformat.from_dict(copy.deepcopy(CANONICAL))
    assert problems == []
    assert fileformat.to_dict(topology) == CANONICAL


def test_round_trip_through_text_and_disk(tmp_path):
    topology, _ = fileformat.from_dict(copy.deepcopy(CANONICAL))
    path = tmp_path / "t.topology.json"
    fileformat.write(topology, path)
    again, problems = fileformat.read(path)
    assert problems == []
    assert again.equivalent(topology)
    assert fileformat.to_dict(again) == fileformat.canonical_dict(topology)
    assert json.loads(path.read_text(encoding="utf-8")) == fileformat.canonical_dict(topology)
    assert fileformat.dumps(again) == path.read_text(encoding="utf-8")


def test_integral_positions_are_written_as_integers():
    topology, _ = fileformat.from_dict(copy.deepcopy(CANONICAL))
    text = fileformat.dumps(topology)
    assert '"position": [40, 120]' in text
    topology.move_node("orders", (1.26, 2.0))
    assert fileformat.to_dict(topology)["nodes"][0]["position"] == [1.3, 2]


# -- canonical writing: the same topology is the same text ---------------------------


def _lines_changed(a: str, b: str) -> list[str]:
    import difflib

    return [
        line
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_saving_keeps_the_topologys_order_and_sorts_the_settings():
    # Nodes, edges and params keep the order the file gave them and edits append to: it
    # means something (dashboard panels follow the nodes; a set_fields' fields are written
    # in order). Settings' keys mean nothing by their order and are sorted.
    shuffled = copy.deepcopy(CANONICAL)
    random.Random(4).shuffle(shuffled["nodes"])
    random.Random(5).shuffle(shuffled["edges"])
    shuffled["settings"] = dict(reversed(list(shuffled["settings"].items())))
    revenue = next(n for n in shuffled["nodes"] if n["id"] == "revenue")
    revenue["params"] = dict(reversed(list(revenue["params"].items())))
    topology, problems = fileformat.from_dict(shuffled)
    assert problems == []
    text = fileformat.dumps(topology)
    data = json.loads(text)
    assert [n["id"] for n in data["nodes"]] == [n["id"] for n in shuffled["nodes"]]
    assert data["edges"] == shuffled["edges"]
    saved = next(n for n in data["nodes"] if n["id"] == "revenue")
    assert list(saved["params"]) == list(revenue["params"])
    assert list(data["settings"]) == sorted(CANONICAL["settings"])
    # an unchanged save is the same text
    again, _ = fileformat.loads(text)
    assert fileformat.dumps(again) == text


def test_saving_an_unchanged_file_rewrites_the_same_bytes(tmp_path):
    topology, _ = fileformat.from_dict(copy.deepcopy(CANONICAL))
    path = tmp_path / "t.topology.json"
    fileformat.write(topology, path)
    first = path.read_bytes()
    again, _ = fileformat.read(path)
    fileformat.write(again, path)
    assert path.read_bytes() == first


def test_moving_a_node_changes_one_line(tmp_path):
    topology, _ = fileformat.from_dict(copy.deepcopy(CANONICAL))
    before = fileformat.dumps(topology)
    topology.move_node("paid", (300.04, 10))
    assert _lines_changed(before, fileformat.dumps(topology)) == [
        '-      "position": [240.5, -12.5]',
        '+      "position": [300, 10]',
    ]


def test_the_demo_saves_canonically_and_moves_by_one_line():
    topology, _ = fileformat.read(DEMO)
    text = fileformat.dumps(topology)
    again, _ = fileformat.loads(text)
    assert fileformat.dumps(again) == text
    for node in again.nodes:  # the demo is laid out by the app: its nodes get places
        again.move_node(node, (10, 20))
    placed = fileformat.dumps(again)
    again.move_node("revenue", (12, 34))
    assert _lines_changed(placed, fileformat.dumps(again)) == [
        '-      "position": [10, 20]',
        '+      "position": [12, 34]',
    ]


def test_demo_round_trips():
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    topology, problems = fileformat.from_dict(data)
    assert problems == []
    assert fileformat.to_dict(topology) == {**data}


def test_edge_ports_are_omitted_when_default():
    topology = Topology("app")
    for nid, ntype in (("a", "branch"), ("b", "join"), ("c", "merge")):
        topology.add_node(Node(nid, ntype, {}))
    topology.connect("a", "c")
    topology.connect("a", "b", "else", "right")
    edges = fileformat.to_dict(topology)["edges"]
    assert edges == [
        {"from": "a", "to": "c"},
        {"from": "a", "to": "b", "from_port": "else", "to_port": "right"},
    ]


def test_position_is_optional_and_omitted_when_absent():
    topology = Topology("app")
    topology.add_node(Node("a", "merge"))
    assert "position" not in fileformat.to_dict(topology)["nodes"][0]


def test_to_dict_and_from_dict_do_not_share_state_with_the_model():
    data = copy.deepcopy(CANONICAL)
    topology, _ = fileformat.from_dict(data)
    data["nodes"][1]["params"]["expr"] = "False"
    data["settings"]["processing_guarantee"] = "exactly_once"
    assert topology.node("paid").params["expr"] == "value['status'] == 'paid'"
    assert topology.settings["processing_guarantee"] == "at_least_once"
    out = fileformat.to_dict(topology)
    out["nodes"][3]["params"]["aggregations"].clear()
    out["settings"].clear()
    assert len(topology.node("revenue").params["aggregations"]) == 2
    assert topology.settings


def test_text_is_utf8_and_not_escaped(tmp_path):
    topology = Topology("app")
    topology.add_node(Node("f", "filter", {"expr": "value['prix'] == '€'"}))
    path = tmp_path / "t.json"
    fileformat.write(topology, path)
    assert "'€'" in path.read_text(encoding="utf-8")


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(CANONICAL).encode())
    topology, problems = fileformat.read(path)
    assert problems == [] and len(topology.nodes) == len(CANONICAL["nodes"])


# -- broken files ---------------------------------------------------------------------


def only_problem(problems: list[Problem], phrase: str, node_id=None) -> Problem:
    matching = [p for p in problems if phrase in p.message and p.node_id == node_id]
    assert matching, "\n".join(str(p) for p in problems)
    return matching[0]


@pytest.mark.parametrize(
    "text,phrase",
    [
        ("", "the file is not valid JSON"),
        (
            "{",
            "the file is not valid JSON: Expecting property name enclosed in double quotes at line 1",
        ),
        ("nodes: []", "the file is not valid JSON"),
        ("[1, 2]", "the file is not a topology file: it holds a list, not a JSON object"),
        ("null", "the file is not a topology file: it holds null, not a JSON object"),
        ('"text"', "the file is not a topology file: it holds a text, not a JSON object"),
        ('{"name": "shop", "version": "1.0.0", "dependencies": {}}', "no nodes"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"name": ' + "9" * 5000 + "}", "the file is not valid JSON"),
    ],
)
def test_text_that_is_no_topology(text, phrase):
    topology, problems = fileformat.loads(text)
    assert isinstance(topology, Topology) and topology.nodes == {}
    only_problem(problems, phrase)
    assert len(problems) == 1 and isinstance(problems[0], fileformat.NotATopology)
    assert fileformat.refusal(problems) is not None


def test_json_of_something_else_is_refused_with_one_sentence_naming_it(tmp_path):
    path = tmp_path / "package.json"
    path.write_text('{"name": "shop", "version": "1.0.0", "scripts": {"test": "jest"}}')
    topology, problems = fileformat.read(path)
    assert topology.nodes == {}
    assert fileformat.refusal(problems, path) == (
        'package.json is not a topology file: it has no "format": "topology-studio/1" and no nodes'
    )


@pytest.mark.parametrize(
    "data",
    [
        {"name": "a", "nodes": []},  # no format, but nodes: an old or hand-written topology
        {"format": "topology-studio/2", "name": "a"},  # a topology of another version
        {"format": "topology-studio/1", "name": "a", "author": "x"},
    ],
)
def test_a_topology_with_problems_is_no_refusal(data):
    topology, problems = fileformat.from_dict(data)
    assert problems and fileformat.refusal(problems) is None


@pytest.mark.parametrize(
    "data,phrase,node_id",
    [
        ({"name": "a", "nodes": []}, "format must be 'topology-studio/1', not None", None),
        (
            {"format": "topology-studio/2", "name": "a"},
            "format must be 'topology-studio/1', not 'topology-studio/2'",
            None,
        ),
        ({"format": "topology-studio/1"}, "the topology needs a name", None),
        ({"format": "topology-studio/1", "name": ["a"]}, "the topology needs a name", None),
        (
            {"format": "topology-studio/1", "name": "a", "nodez": []},
            "unknown key 'nodez' at the top",
            None,
        ),
        (
            {"format": "topology-studio/1", "name": "a", "settings": []},
            "settings must be an object",
            None,
        ),
        (
            {"format": "topology-studio/1", "name": "a", "nodes": {"a": {}}},
            "nodes must be a list",
            None,
        ),
        (
            {"format": "topology-studio/1", "name": "a", "nodes": "abc"},
            "nodes must be a list",
            None,
        ),
        ({"format": "topology-studio/1", "name": "a", "edges": {}}, "edges must be a list", None),
        (
            {"format": "topology-studio/1", "name": "a", "nodes": [5]},
            "node 1 must be an object with 'id' and 'type'",
            None,
        ),
        (
            {"format": "topology-studio/1", "name": "a", "nodes": [[]]},
            "node 1 must be an object",
            None,
        ),
        (
            {"format": "topology-studio/1", "name": "a", "nodes": [{"type": "merge"}]},
            "node 1 has no id",
            None,
        ),
        (
            {"format": "topology-studio/1", "name": "a", "nodes": [{"id": 5, "type": "merge"}]},
            "node 1 has the id 5, which is not a text",
            None,
        ),
        (
            {"format": "topology-studio/1", "name": "a", "nodes": [{"id": "a b", "type": "merge"}]},
            "'a b' is not a valid node id",
            "a b",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge"}, {"id": "m", "type": "merge"}],
            },
            "a node named 'm' already exists",
            "m",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge", "colour": 1}],
            },
            "unknown keys colour on the node",
            "m",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge", "params": [1]}],
            },
            "params must be an object",
            "m",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge", "position": [1]}],
            },
            "position must be [x, y]",
            "m",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge", "position": {"x": 1, "y": 2}}],
            },
            "position must be [x, y]",
            "m",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge", "position": ["1", "2"]}],
            },
            "position must be [x, y]",
            "m",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge", "position": [True, 2]}],
            },
            "position must be [x, y]",
            "m",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge", "position": [float("nan"), 2]}],
            },
            "position must be [x, y]",
            "m",
        ),
        (
            {"format": "topology-studio/1", "name": "a", "edges": ["a->b"]},
            "edge 1 must be an object with 'from' and 'to'",
            None,
        ),
        (
            {"format": "topology-studio/1", "name": "a", "edges": [{"from": "a"}]},
            "edge 1 needs 'from' and 'to' node ids",
            None,
        ),
        (
            {"format": "topology-studio/1", "name": "a", "edges": [{"from": 1, "to": ["b"]}]},
            "edge 1 needs 'from' and 'to'",
            None,
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge"}],
                "edges": [{"from": "m", "to": "ghost"}],
            },
            "has an edge to 'ghost', which is not a node",
            "m",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge"}],
                "edges": [{"from": "ghost", "to": "m"}],
            },
            "has an edge from 'ghost', which is not a node",
            "m",
        ),
        (
            {"format": "topology-studio/1", "name": "a", "edges": [{"from": "x", "to": "y"}]},
            "edge 1 connects 'x' to 'y', and neither is a node",
            None,
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge"}, {"id": "n", "type": "merge"}],
                "edges": [{"from": "m", "to": "n", "from_port": 3}],
            },
            "edge 1 has a port that is not a name",
            "m",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge"}, {"id": "n", "type": "merge"}],
                "edges": [{"from": "m", "to": "n", "via": "x"}],
            },
            "edge 1 has unknown keys via",
            "m",
        ),
        (
            {
                "format": "topology-studio/1",
                "name": "a",
                "nodes": [{"id": "m", "type": "merge"}, {"id": "n", "type": "merge"}],
                "edges": [{"from": "m", "to": "n"}, {"from": "m", "to": "n"}],
            },
            "the edge from 'm' is listed twice",
            "n",
        ),
    ],
)
def test_broken_structure_is_a_problem_not_an_exception(data, phrase, node_id):
    topology, problems = fileformat.from_dict(data)
    assert isinstance(topology, Topology)
    only_problem(problems, phrase, node_id)
    validate(topology)  # and validating what was loaded never raises either


def test_loading_keeps_what_it_can():
    data = {
        "format": "topology-studio/1",
        "name": "a",
        "nodes": [
            5,
            {"id": "m", "type": "merge"},
            {"id": "f", "type": "filter", "params": {"expr": "True"}},
        ],
        "edges": [{"from": "m", "to": "f"}, {"from": "m", "to": "ghost"}],
    }
    topology, problems = fileformat.from_dict(data)
    assert list(topology.nodes) == ["m", "f"]
    assert topology.edges == [Edge("m", "f")]
    assert len(problems) == 2


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"name": "café"}'.encode("latin-1"))
    topology, problems = fileformat.read(path)
    problem = only_problem(problems, "is not UTF-8 text (byte 0xe9 at offset 13)")
    assert str(path) in problem.message


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: tmp / "missing.json",
        lambda tmp: tmp,  # a folder
        lambda tmp: tmp / "missing-dir" / "x.json",
        lambda tmp: str(tmp / "nul\0byte.json"),
    ],
)
def test_unreadable_path(tmp_path, make):
    topology, problems = fileformat.read(make(tmp_path))
    assert topology.nodes == {}
    only_problem(problems, "cannot read ")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_unreadable_permissions(tmp_path):
    path = tmp_path / "secret.json"
    path.write_text("{}")
    path.chmod(0)
    try:
        _, problems = fileformat.read(path)
        only_problem(problems, "cannot read ")
    finally:
        path.chmod(0o600)


def test_load_raises_topology_error_with_every_problem(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {"format": "topology-studio/1", "name": "a b", "nodes": [{"id": "f", "type": "filter"}]}
        )
    )
    with pytest.raises(TopologyError) as info:
        fileformat.load(path)
    text = str(info.value)
    assert "topology: the name 'a b'" in text and "f: the required param 'expr'" in text
    assert len(info.value.problems) == len(set(info.value.problems))


def test_load_returns_a_valid_topology():
    assert fileformat.load(DEMO).name == "ecommerce-dashboard"


@pytest.mark.parametrize("path", sorted(BAD.glob("*.json")), ids=lambda p: p.name)
def test_bad_fixtures_load_with_problems_and_never_raise(path):
    topology, problems = fileformat.read(path)
    problems = problems + validate(topology)
    assert [p for p in problems if p.is_error], path.name


# -- atomic writes --------------------------------------------------------------------


@pytest.fixture
def existing(tmp_path):
    topology, _ = fileformat.from_dict(copy.deepcopy(CANONICAL))
    path = tmp_path / "t.topology.json"
    fileformat.write(topology, path)
    return topology, path, path.read_bytes()


@pytest.mark.parametrize("target", ["replace", "fsync"])
def test_failed_write_leaves_the_old_file_and_no_temp_file(existing, monkeypatch, target):
    topology, path, before = existing
    topology.add_node(Node("extra", "merge"))

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, target, fail)
    with pytest.raises(OSError, match="No space left"):
        fileformat.write(topology, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_failed_write_midway_leaves_the_old_file(existing, monkeypatch):
    topology, path, before = existing
    real_fdopen = os.fdopen

    class Half:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            raise KeyboardInterrupt  # even an interrupt cleans up

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Half(real_fdopen(*a, **k)))
    with pytest.raises(KeyboardInterrupt):
        fileformat.write(topology, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_write_keeps_permissions(existing):
    topology, path, _ = existing
    path.chmod(0o640)
    fileformat.write(topology, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_new_file_gets_ordinary_permissions(tmp_path):
    path = tmp_path / "new.json"
    fileformat.write(Topology("a"), path)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_write_through_a_symlink_updates_its_target(existing):
    topology, path, _ = existing
    link = path.parent / "link.json"
    link.symlink_to(path.name)
    topology.set_name("renamed")
    fileformat.write(topology, link)
    assert link.is_symlink()
    assert json.loads(path.read_text())["name"] == "renamed"


# -- fuzz -----------------------------------------------------------------------------

WORDS = [
    "",
    "in",
    "out",
    "else",
    "left",
    "right",
    "value",
    "key",
    "a",
    "a b",
    "x" * 300,
    "1m",
    "0s",
    "-1s",
    "record",
    "none",
    "tumbling",
    "hopping",
    "session",
    "count",
    "sum",
    "value['a']",
    "9**9**9",
    "__import__('os')",
    "value[",
    "[" * 300,
    "\n",
    "é",
    "\x00",
    *NODE_TYPES,
    "format",
    "topology-studio/1",
    "id",
    "type",
    "params",
    "position",
    "from",
    "to",
    "from_port",
    "to_port",
    "name",
    "expr",
    "fn",
    "branches",
    "aggregations",
    "window",
    "fields",
    "topic",
    "emit",
    "final",
    "settings",
    "processing_guarantee",
    "size",
    "gap",
]


def random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(10 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, 1, -1, 2**70, 3.5, float("nan"), float("inf"), -0.0])
    if kind in (3, 4, 5):
        return rng.choice(WORDS)
    if kind in (6, 7):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(WORDS): random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def mutate(rng: random.Random, data):
    """Replace, delete or add one thing somewhere inside ``data``."""
    if not isinstance(data, (dict, list)) or not data or rng.random() < 0.2:
        return random_value(rng)
    if isinstance(data, dict):
        k = rng.choice(list(data))
        choice = rng.random()
        if choice < 0.15:
            del data[k]
        elif choice < 0.3:
            data[rng.choice(WORDS)] = random_value(rng)
        else:
            data[k] = mutate(rng, data[k])
    else:
        i = rng.randrange(len(data))
        choice = rng.random()
        if choice < 0.15:
            del data[i]
        elif choice < 0.3:
            data.insert(i, copy.deepcopy(rng.choice(data)))
        else:
            data[i] = mutate(rng, data[i])
    return data


def test_fuzz_loading_and_validating_never_raises():
    rng = random.Random(20240611)
    seeds = [CANONICAL, json.loads(DEMO.read_text(encoding="utf-8"))]
    for i in range(4000):
        if i % 10 == 0:
            data = random_value(rng)
        else:
            data = copy.deepcopy(rng.choice(seeds))
            for _ in range(rng.randrange(1, 6)):
                data = mutate(rng, data)
        try:
            topology, problems = fileformat.from_dict(data)
            problems += validate(topology)
            lines = [str(p) for p in problems]
            fileformat.to_dict(topology)
        except Exception as exc:
            raise AssertionError(f"case {i}: {type(exc).__name__}: {exc}\n{data!r:.2000}") from exc
        assert all("\n" not in line for line in lines)
