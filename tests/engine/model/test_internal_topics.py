"""The internal topics' names and which nodes have them (reference §7.2, §7.3): the plan
the compiler runs by and the diff compares."""

from __future__ import annotations

from engine.code.builder import StreamsBuilder
from engine.model.internal_topics import changelog_topic, internal_topics_by_node, repartition_topic
from engine.runtime.compiler import compile_topology
from engine.runtime.local import LocalRun


def shop():
    b = StreamsBuilder("shop")
    orders = b.stream("orders", name="orders")
    customers = b.stream("customers", name="customers")
    orders.aggregate([{"name": "n", "fn": "count"}], name="per_key").to("a", name="a")
    orders.aggregate([{"name": "n", "fn": "count"}], group_by="value['c']", name="grouped").to(
        "b", name="b"
    )
    by_user = orders.rekey("value['user']", name="by_user")
    by_user.join(customers, "left", name="enrich").to("c", name="c")
    return b.build()


def test_names():
    assert changelog_topic("shop", "revenue") == "shop-revenue-changelog"
    assert repartition_topic("shop", "revenue") == "shop-revenue-repartition"
    assert repartition_topic("shop", "enrich", "left") == "shop-enrich-left-repartition"


def test_which_nodes_have_which_topics():
    assert internal_topics_by_node(shop()) == {
        "per_key": ["shop-per_key-changelog"],
        "grouped": ["shop-grouped-repartition", "shop-grouped-changelog"],
        "enrich": [
            "shop-enrich-left-repartition",
            "shop-enrich-right-repartition",
            "shop-enrich-changelog",
        ],
    }
    assert internal_topics_by_node(shop(), "other")["per_key"] == ["other-per_key-changelog"]


def test_the_compiler_creates_the_same_topics():
    topology = shop()
    compiled = compile_topology(topology, LocalRun(topology).context())
    planned = {t for topics in internal_topics_by_node(topology).values() for t in topics}
    assert {t.name for t in compiled.internal_topics} == planned


def tables():
    b = StreamsBuilder("tables")
    b.table("customers", name="customers").to("a", name="a")
    orders = b.stream("orders", name="orders")
    orders.to_table(name="latest").to("b", name="b")
    per_user = orders.rekey("value['user']", name="by_user").to_table(name="per_user")
    per_user.to("c", name="c")
    per_user.table_aggregate([{"name": "n", "fn": "count"}], group_by="value['c']", name="g").to(
        "d", name="d"
    )
    return b.build()


def test_tables_keep_a_changelog_and_a_rekeyed_stream_is_repartitioned_into_a_table():
    topology = tables()
    assert internal_topics_by_node(topology) == {
        "customers": ["tables-customers-changelog"],
        "latest": ["tables-latest-changelog"],
        "per_user": ["tables-per_user-repartition", "tables-per_user-changelog"],
        "g": ["tables-g-repartition", "tables-g.rows-changelog", "tables-g-changelog"],
    }
    compiled = compile_topology(topology, LocalRun(topology).context())
    assert {t.name for t in compiled.internal_topics} == {
        t for topics in internal_topics_by_node(topology).values() for t in topics
    }
    # a table source's store is fed by its own topic's partitions
    assert compiled.store_topics["customers"] == {"customers"}
    assert compiled.store_topics["per_user"] == {"tables-per_user-repartition"}
    # a table aggregate's rows are kept before its repartition topic, its groups after it
    assert compiled.store_topics["g.rows"] == {"tables-per_user-repartition"}
    assert compiled.store_topics["g"] == {"tables-g-repartition"}
