"""docs/reference.md keeps step with the catalogue (engine/model/catalogue.py) and the alert
rules (engine/model/alerts.py): every node type has its section (§5) with every param, its
default, its choices and whether it is required; every setting is in §3 and every alert
``when`` in §14; and the reference lists nothing the code does not have."""

from __future__ import annotations

import json
import re

import pytest

from engine.model.alerts import DEFAULT_FOR, KINDS, RULE_KEYS
from engine.model.catalogue import AGGREGATION_FUNCTIONS, NODE_TYPES, SETTINGS, WINDOW_TYPES
from tests.engine.reference_doc import section, subsections, table_rows

PARAM_COLUMNS = 4  # | param | kind | required | default | meaning |
SETTING_COLUMNS = 3  # | setting | kind | default | what it does |


def _default(value) -> str:
    return "–" if value is None else f"`{json.dumps(value)}`"


def _type_sections() -> dict[str, tuple[str, str]]:
    """{type name: (title, text)} of the subsections of §5 headed "`name`: Title"."""
    out = {}
    for heading, body in subsections("5").values():
        match = re.fullmatch(r"`(\w+)`: (.+)", heading)
        if match:
            out[match.group(1)] = (match.group(2), body)
    return out


def test_every_node_type_has_a_section_and_no_section_is_stale():
    documented = _type_sections()
    missing = sorted(set(NODE_TYPES) - set(documented))
    stale = sorted(set(documented) - set(NODE_TYPES))
    assert not missing, f"node types without a section in docs/reference.md §5: {missing}"
    assert not stale, f"docs/reference.md §5 documents node types the catalogue lacks: {stale}"


@pytest.mark.parametrize("type_name", sorted(NODE_TYPES))
def test_a_node_types_section_names_its_title_and_ports(type_name):
    node_type = NODE_TYPES[type_name]
    title, body = _type_sections()[type_name]
    assert title == node_type.title
    ports = next((line for line in body.splitlines() if line.startswith("Ports:")), None)
    assert ports is not None, f"§5 {type_name}: no 'Ports:' line"
    expected = list(node_type.inputs)
    expected += ["else"] if node_type.dynamic_outputs else list(node_type.outputs)
    for port in expected:
        assert f"`{port}`" in ports, f"§5 {type_name}: port '{port}' missing from {ports!r}"


@pytest.mark.parametrize("type_name", sorted(NODE_TYPES))
def test_every_param_is_documented_with_its_default_choices_and_whether_required(type_name):
    node_type = NODE_TYPES[type_name]
    rows = table_rows(_type_sections()[type_name][1])
    params = {name: cells for name, cells in rows.items() if len(cells) == PARAM_COLUMNS}
    for spec in node_type.params:
        assert spec.name in params, f"§5 {type_name}: param '{spec.name}' is not in its table"
        kind, required, default, _meaning = params[spec.name]
        assert (required == "yes") == spec.required, f"§5 {type_name}.{spec.name}: required"
        assert default == _default(spec.default), f"§5 {type_name}.{spec.name}: default"
        for choice in spec.choices:
            assert f"`{choice}`" in kind, f"§5 {type_name}.{spec.name}: choice '{choice}'"
    stale = sorted(set(params) - {spec.name for spec in node_type.params})
    assert not stale, f"§5 {type_name} documents params the catalogue lacks: {stale}"
    if not node_type.params:
        assert "takes no params" in _type_sections()[type_name][1]


def test_every_window_type_and_aggregation_function_is_a_row_of_the_aggregate_section():
    rows = table_rows(_type_sections()["aggregate"][1])
    assert set(WINDOW_TYPES) <= set(rows), "§5.10: a window type is missing"
    assert set(AGGREGATION_FUNCTIONS) <= set(rows), "§5.10: an aggregation function is missing"


def test_every_setting_is_documented_with_its_default_and_choices():
    rows = {n: c for n, c in table_rows(section("3")).items() if len(c) == SETTING_COLUMNS}
    for name, spec in SETTINGS.items():
        assert name in rows, f"setting '{name}' is not in docs/reference.md §3"
        kind, default, _what = rows[name]
        assert default == _default(spec.default), f"§3 {name}: default"
        for choice in spec.choices:
            assert f"`{choice}`" in kind, f"§3 {name}: choice '{choice}'"
    stale = sorted(set(rows) - set(SETTINGS))
    assert not stale, f"docs/reference.md §3 documents settings the code lacks: {stale}"


def test_every_alert_when_and_rule_key_is_documented():
    body = section("14")
    rows = {n: c for n, c in table_rows(body).items() if len(c) == 3}
    for name, kind in KINDS.items():
        assert name in rows, f"alert '{name}' is not in docs/reference.md §14"
        threshold = rows[name][0]
        assert threshold == (f"`{kind.threshold}`" if kind.threshold else "none"), name
    assert set(rows) == set(KINDS), "docs/reference.md §14 lists a `when` the code lacks"
    for key in RULE_KEYS:
        assert f"`{key}`" in body, f"§14: the rule key '{key}'"
    assert f"default `{DEFAULT_FOR}`" in body
