"""Qt-free models of the monitor: ring buffers, profiles, the log book, lag history."""

from __future__ import annotations

import math

import numpy as np

from gui.monitor.connection import CLUSTER, SANDBOX, ConnectionProfile
from gui.monitor.lag_history import GroupLagHistory
from gui.monitor.logbook import (
    DEAD_LETTER,
    ERROR,
    LogBook,
    console_entries,
    dead_letter_entries,
    status_entry,
)
from gui.monitor.series import RingSeries, SeriesSet


def test_ring_series_keeps_the_newest_points_in_order():
    ring = RingSeries(capacity=5)
    for i in range(8):
        ring.append(float(i), i * 10.0)
    t, v = ring.arrays()
    assert list(t) == [3, 4, 5, 6, 7] and list(v) == [30, 40, 50, 60, 70]
    assert ring.last() == (7.0, 70.0)


def test_ring_window_is_the_visible_slice_plus_one_point_to_the_left_edge():
    for capacity in (5, 7, 100):  # wrapped at different places, and not wrapped
        ring = RingSeries(capacity)
        for i in range(12):
            ring.append(float(i), float(i))
        t_all, _ = ring.arrays()
        for since in (-1.0, 8.0, 8.5, 11.0, 20.0):
            t, v = ring.window(since)
            expected = [x for x in t_all if x >= since]
            earlier = [x for x in t_all if x < since]
            if earlier:
                expected = [earlier[-1], *expected]
            assert list(t) == expected, (capacity, since)
            assert list(v) == expected


def test_series_set_reports_new_lines():
    s = SeriesSet(capacity=10)
    assert s.append(1.0, {"a": 1.0}) == ["a"]
    assert s.append(2.0, {"a": 2.0, "b": 3.0}) == ["b"]
    _t, v = s.window("a", 60)
    assert list(v) == [1.0, 2.0] and s.latest_time == 2.0


def test_profile_maps_sasl_and_tls_to_librdkafka_settings():
    assert ConnectionProfile().client_config() == {}
    p = ConnectionProfile(
        kind=CLUSTER,
        bootstrap="k1:9092,k2:9093",
        sasl_mechanism="SCRAM-SHA-512",
        username="ann",
        password="pw",
        ssl=True,
        ca_file="/etc/ca.pem",
    )
    assert p.problems() == []
    assert p.client_config() == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "ann",
        "sasl.password": "pw",
        "ssl.ca.location": "/etc/ca.pem",
    }
    plain = ConnectionProfile(
        kind=CLUSTER, bootstrap="k:9092", sasl_mechanism="PLAIN", username="u"
    )
    assert plain.client_config()["security.protocol"] == "SASL_PLAINTEXT"
    assert ConnectionProfile(kind=CLUSTER, bootstrap="k:9092", ssl=True).client_config() == {
        "security.protocol": "SSL"
    }


def test_profile_problems_are_sentences():
    assert ConnectionProfile(kind=CLUSTER).problems() == [
        "Enter at least one bootstrap server, as host:port."
    ]
    assert "not host:port" in ConnectionProfile(kind=CLUSTER, bootstrap="kafka").problems()[0]
    assert (
        "user name"
        in ConnectionProfile(kind=CLUSTER, bootstrap="k:1", sasl_mechanism="PLAIN").problems()[0]
    )


def test_profile_round_trips_through_plain_data():
    p = ConnectionProfile(kind=CLUSTER, bootstrap="k:9092", ssl=True)
    data = {k: str(v) for k, v in p.to_dict().items()}  # QSettings hands back text
    assert ConnectionProfile.from_dict(data) == p
    assert ConnectionProfile.from_dict({"kind": "weird", "junk": 1}).kind == SANDBOX


def test_log_book_is_bounded_and_keeps_the_newest():
    book = LogBook(limit=100)
    for i in range(30):
        book.add(console_entries([("n", f"line {i * 10 + j}") for j in range(10)]))
    assert len(book) == 100
    assert book.entries[0].text == "line 200" and book.entries[-1].text == "line 299"


def test_dead_letters_and_failures_are_labelled():
    [entry] = dead_letter_entries(
        [
            {
                "node": "parse",
                "error": "bad json",
                "topic": "t",
                "partition": 1,
                "offset": 7,
                "key": "k",
                "value": "{",
            }
        ]
    )
    assert entry.kind == DEAD_LETTER and entry.source == "parse" and "bad json" in entry.text
    assert "t[1]@7" in entry.text
    assert status_entry("failed", "broker gone").kind == ERROR


def test_lag_history_judges_the_group_and_charts_records_and_seconds():
    h = GroupLagHistory("g")
    for i in range(5):  # consuming 10/s while lag grows: WARN
        h.observe(
            {("t", 0): (100 + 10 * i, 200 + 30 * i), ("t", 1): (50, 50)},
            now=float(i),
            wall=1000.0 + i,
        )
    assert h.status == "WARN" and "t[0]" in h.reason
    _t, lag = h.records.window("t[0]", 60)
    assert list(lag) == [100, 120, 140, 160, 180]
    _, seconds = h.seconds.window("t[0]", 60)
    assert math.isclose(seconds[-1], 180 / 10)
    assert h.total_lag() == 180
    for i in range(5, 15):  # committed stuck: STALL, seconds behind infinite (a gap)
        h.observe({("t", 0): (140, 400), ("t", 1): (50, 50)}, now=float(i), wall=1000.0 + i)
    assert h.status == "STALL"
    _, seconds = h.seconds.window("t[0]", 60)
    assert np.isnan(seconds[-1])


def test_ring_window_is_a_view_and_version_counts_changes():
    ring = RingSeries(capacity=5)
    for i in range(8):  # wrapped
        ring.append(float(i), float(i))
    v0 = ring.version
    t, _v = ring.window(5.0)
    assert list(t) == [4.0, 5.0, 6.0, 7.0] and np.shares_memory(t, ring._t)  # no copy
    ring.append(8.0, 8.0)
    assert ring.version == v0 + 1
    assert list(t) == [4.0, 5.0, 6.0, 7.0]  # a view survives the next appends
