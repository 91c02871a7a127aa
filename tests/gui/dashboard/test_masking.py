"""Masking in dashboards' tables (reference §9.12): row values a dashboard receives are masked by
the topology's rules for the topics upstream; the rows' keys stay their identities."""

from __future__ import annotations

from engine.model.topology import Edge, Node, Topology
from gui.dashboard.qt_dashboard import QtDashboardBoard


def test_dashboard_rows_are_masked(qtbot):
    t = Topology("t", {"masking": [{"field": "email", "topic": "customers"}]})
    t.add_node(Node("src", "kafka_source", {"topic": "customers"}))
    t.add_node(Node("board", "dashboard_sink", {"title": "Customers", "view": "table"}))
    t.add_edge(Edge("src", "board"))
    model = QtDashboardBoard()
    model.set_topology(t)
    change = {"reset": False, "removed": [], "rows": [("c1", None, {"email": "a@x.io", "n": 2})]}
    model.apply({"board": change})
    assert model.table("board").get("c1") == {"email": "***", "n": 2}
    t.settings["masking"] = []
    model.apply({"board": change})
    assert model.table("board").get("c1") == {"email": "a@x.io", "n": 2}
