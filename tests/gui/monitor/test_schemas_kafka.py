"""The schema formats in the app, against the real sandbox broker and its schema registry:
the demo's Avro orders run in the app's worker, the data preview shows them decoded under
a header naming their schema, and the cluster view's sample of the topic decodes them."""

from __future__ import annotations

import pytest

import resources
from engine.model import fileformat
from gui.monitor.qt_cluster import FieldNameCache, QtClusterWidget
from gui.monitor.qt_preview import QtPreviewWidget
from gui.monitor.qt_run_controller import RunController

pytestmark = pytest.mark.kafka


@pytest.fixture
def sandbox_controller(qtbot):
    controller = RunController(metrics_interval_s=0.3)  # the sandbox broker and its registry
    yield controller
    controller.shutdown()


def test_the_demo_runs_with_avro_orders_decoded_in_the_preview(qtbot, sandbox_controller):
    c = sandbox_controller
    demo, problems = fileformat.read(resources.DEMO_TOPOLOGY)
    assert problems == [] and demo.node("orders").params["value_format"] == "avro"
    c.set_topology_provider(lambda: demo)
    preview = QtPreviewWidget(c)
    qtbot.addWidget(preview)
    metrics, dashboards = [], []
    c.nodeMetrics.connect(metrics.append)
    c.dashboardsReceived.connect(dashboards.append)
    preview.set_node("orders")
    assert c.run()
    qtbot.waitUntil(lambda: bool(metrics and metrics[-1]["paid"]["out"] > 20), timeout=60_000)
    assert c.status == "running", c.reason
    # The worker was given the sandbox's registry, shown beside the broker.
    assert c.registry_url() and c.registry_url().startswith("http://127.0.0.1:")
    # Decoded values: the Avro record's fields, the enum as its symbol.
    qtbot.waitUntil(lambda: preview.records.model.rowCount() > 0, timeout=20_000)
    record = preview.records.model.records[0]
    assert set(record["value"]) >= {"order_id", "amount", "items", "status"}
    assert record["value"]["status"] in ("paid", "pending", "cancelled")
    qtbot.waitUntil(lambda: bool(preview.schema_text()), timeout=20_000)
    assert preview.schema_text().startswith("Avro · subject orders-value · version 1 · schema id")
    # The orders written in Avro reached the dashboards as before.
    qtbot.waitUntil(lambda: any("orders_kpi" in d for d in dashboards), timeout=60_000)
    assert metrics[-1]["orders"]["errors"] == 0 and metrics[-1]["paid"]["errors"] == 0
    # The cluster view's sample of the topic: decoded with the registry, the schema named.
    cluster = QtClusterWidget(c)
    qtbot.addWidget(cluster)
    cluster.show_topic("orders")
    qtbot.waitUntil(lambda: "Avro" in cluster.sample_title.text(), timeout=20_000)
    assert "subject orders-value · version 1" in cluster.sample_title.text()
    sampled = cluster.samples.model.records
    assert sampled and all(isinstance(r["value"], dict) for r in sampled)
    assert "customer_id" in sampled[0]["value"]
    # A JSON topic beside it is shown as before, with no schema named.
    cluster.show_topic("clicks")
    qtbot.waitUntil(lambda: "latest" in cluster.sample_title.text(), timeout=20_000)
    assert "schema" not in cluster.sample_title.text()
    assert "session_id" in cluster.samples.model.records[0]["value"]
    # Field names of the Avro topic come from its registered schema (its bytes are no JSON).
    cache = FieldNameCache(c.cluster_client, registry_provider=c.registry_lookup)
    with qtbot.waitSignal(cache.ready, timeout=20_000) as ready:
        assert cache.names("orders") == []
    assert ready.args[0] == "orders"
    assert ready.args[1] == [
        "order_id",
        "customer_id",
        "category",
        "items",
        "amount",
        "currency",
        "status",
        "created_at",
    ]
    assert c.registry_lookup().registered_fields("clicks") == []  # JSON: nothing registered
