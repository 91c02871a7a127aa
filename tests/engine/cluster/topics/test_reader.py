"""Scanning topics on the real broker: start positions, filters, limits, pages, progress,
cancel, masking and the sentences for what cannot be read."""

from __future__ import annotations

import pytest

from engine.cluster.admin import ConnectionProblem
from engine.cluster.topics.positions import parse_start
from engine.cluster.topics.reader import ScanError, ScanRequest, TopicReader, TopicScan
from engine.model.masking import MaskRule
from tests.engine.cluster.topics.conftest import BASE_MS, create_topic, produce

pytestmark = pytest.mark.kafka


def scan(bootstrap, topic, start="earliest", **kwargs) -> TopicScan:
    reader = TopicReader(bootstrap, masking=kwargs.pop("masking", None))
    return TopicScan(reader, ScanRequest(topic, parse_start(start), **kwargs))


def test_earliest_reads_every_record_of_every_partition_decoded(bootstrap, orders_topic):
    s = scan(bootstrap, orders_topic)
    records = s.records()
    assert len(records) == 30
    assert {(r["partition"], r["offset"]) for r in records} == {
        (p, o) for p in range(3) for o in range(10)
    }
    first = next(r for r in records if r["value"]["i"] == 4)
    assert first == {
        "topic": orders_topic,
        "partition": 1,
        "offset": 1,
        "timestamp": BASE_MS + 4000,
        "key": "k4",
        "value": {"i": 4, "email": "user4@example.com", "amount": 6.0},
        "headers": {"source": "test", "n": "4"},
        "key_format": "string",
        "value_format": "json",
    }
    assert (s.progress.scanned, s.progress.total, s.progress.matched) == (30, 30, 30)
    assert s.progress.done and not s.notices


def test_an_offset_starts_every_partition_there(bootstrap, orders_topic):
    records = scan(bootstrap, orders_topic, "7").records()
    assert sorted((r["partition"], r["offset"]) for r in records) == [
        (p, o) for p in range(3) for o in (7, 8, 9)
    ]


def test_an_offset_past_the_end_reads_nothing_and_says_so(bootstrap, orders_topic):
    s = scan(bootstrap, orders_topic, "500")
    assert s.records() == []
    assert any("offset 500 is past the end" in n for n in s.notices)


def test_latest_reads_nothing_written_before_the_start(bootstrap, orders_topic):
    s = scan(bootstrap, orders_topic, "latest")
    assert s.records() == []
    assert s.progress.total == 0


def test_a_time_reads_from_the_first_record_at_or_after_it(bootstrap, orders_topic):
    # The sandbox answers offsets_for_times with 0: the scan skips by record timestamps.
    s = scan(bootstrap, orders_topic, str(BASE_MS + 24_000))
    records = s.records()
    assert sorted(r["value"]["i"] for r in records) == list(range(24, 30))
    assert all(r["timestamp"] >= BASE_MS + 24_000 for r in records)
    assert not s.notices
    iso = scan(bootstrap, orders_topic, "2025-12-06T10:00:24Z").records()
    assert sorted(r["value"]["i"] for r in iso) == list(range(24, 30))


def test_a_time_after_the_end_or_before_the_start_is_a_sentence(bootstrap, orders_topic):
    after = scan(bootstrap, orders_topic, str(BASE_MS + 3_600_000))
    assert after.records() == []
    assert any("is after its end, nothing to read" in n for n in after.notices)
    before = scan(bootstrap, orders_topic, "2020-01-01T00:00:00Z")
    assert len(before.records()) == 30
    assert any(
        "is before the first record" in n and "read from its start" in n for n in before.notices
    )


def test_one_partition(bootstrap, orders_topic):
    records = scan(bootstrap, orders_topic, partitions=[2]).records()
    assert {r["partition"] for r in records} == {2} and len(records) == 10
    with pytest.raises(ScanError, match="has no partition 7 \\(it has 3: 0 to 2\\)"):
        scan(bootstrap, orders_topic, partitions=[7]).records()


def test_filters_over_every_name(bootstrap, orders_topic):
    found = scan(
        bootstrap,
        orders_topic,
        filter="value['amount'] > 30 and headers['source'] == 'test' and partition != 1 "
        "and offset >= 0 and key.startswith('k') and timestamp > 0",
    ).records()
    assert sorted(r["value"]["i"] for r in found) == [21, 23, 24, 26, 27, 29]


def test_a_filter_failing_on_a_record_does_not_match_and_is_counted(bootstrap, unique):
    topic = f"mixed-{unique}"
    create_topic(bootstrap, topic)
    produce(bootstrap, topic, [{"value": b'{"a": 1}'}, {"value": b"text"}, {"value": b'{"b": 2}'}])
    s = scan(bootstrap, topic, filter="value['a'] == 1")
    assert [r["value"] for r in s.records()] == [{"a": 1}]
    assert s.filter_failures == 2
    assert any("the filter failed on 2 records" in n for n in s.notices)


@pytest.mark.parametrize(
    ("expr", "said"),
    [
        ("__import__('os')", "calling '__import__' is not allowed"),
        ("__import__('os').system('true')", "the method '.system()' is not allowed"),
        ("value.__class__", "attribute access '.__class__' is not allowed"),
        ("9 ** 9 ** 9", "is too large"),
        ("lambda: 1", "lambdas are not allowed"),
        ("group", "unknown name 'group'"),
    ],
)
def test_hostile_filters_are_refused_with_the_checkers_sentence(bootstrap, expr, said):
    with pytest.raises(ScanError, match="the filter is not allowed") as caught:
        scan(bootstrap, "never-read", filter=expr)
    assert said in str(caught.value)


def test_a_budget_passed_on_a_record_does_not_stop_the_scan(bootstrap, unique):
    topic = f"big-{unique}"
    create_topic(bootstrap, topic)
    produce(
        bootstrap, topic, [{"value": b'{"s": "' + b"x" * 5000 + b'"}'}, {"value": b'{"s": "y"}'}]
    )
    s = scan(bootstrap, topic, filter="len([a + b for a in value['s'] for b in value['s']]) > 0")
    assert [r["value"] for r in s.records()] == [{"s": "y"}]
    assert s.filter_failures == 1


def test_limit_stops_at_n_matches(bootstrap, orders_topic):
    s = scan(bootstrap, orders_topic, filter="value['i'] % 2 == 0", limit=4)
    records = s.records()
    assert len(records) == 4 and all(r["value"]["i"] % 2 == 0 for r in records)
    assert s.progress.matched == 4


def test_pages_come_with_progress_and_a_cancel_stops_the_scan(bootstrap, unique):
    topic = f"many-{unique}"
    create_topic(bootstrap, topic, 1)
    produce(bootstrap, topic, [{"value": b'{"n": %d}' % i} for i in range(5000)])
    seen = []
    s = scan(bootstrap, topic)
    s.on_progress = lambda p: seen.append((p.scanned, p.total))
    pages = s.pages()
    first = next(pages)
    assert 0 < len(first) < 5000  # a first page before the whole topic is read
    s.cancel()
    rest = [r for page in pages for r in page]
    assert len(first) + len(rest) < 5000
    assert seen and all(total == 5000 for _, total in seen)
    assert s.progress.done


def test_masked_values_are_shown_masked_and_never_matched(bootstrap, orders_topic):
    rules = [MaskRule("email"), MaskRule("n", topic="orders-*")]
    s = scan(bootstrap, orders_topic, masking=rules)
    records = s.records()
    assert all(r["value"]["email"] == "***" and r["headers"]["n"] == "***" for r in records)
    assert all(r["headers"]["source"] == "test" for r in records)
    hidden = scan(bootstrap, orders_topic, masking=rules, filter="'user3@' in value['email']")
    assert hidden.records() == []
    shown = scan(bootstrap, orders_topic, masking=rules, filter="value['email'] == '***'")
    assert len(shown.records()) == 30


def test_a_missing_topic_is_a_sentence_and_is_not_created(bootstrap, unique):
    name = f"absent-{unique}"
    with pytest.raises(ScanError, match=f"there is no topic '{name}'"):
        scan(bootstrap, name).records()
    with pytest.raises(ScanError):
        scan(bootstrap, name).records()


def test_an_unreachable_cluster_is_a_connection_problem():
    s = scan("127.0.0.1:1", "t")
    s.reader.config["socket.connection.setup.timeout.ms"] = 1000
    with pytest.raises(ConnectionProblem, match="no broker answered"):
        s.reader.partitions_of(s.reader.consumer(), "t", timeout=2)
