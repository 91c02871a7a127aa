"""Values as shown: floats without binary noise, everything else as it is."""

from __future__ import annotations

import math

from gui.monitor.qt_records import compact as record_text
from gui.monitor.qt_records import pretty
from gui.style.display import tidy
from gui.testrun.rows import compact as row_text


def test_floats_are_shown_to_twelve_significant_digits():
    total = 0.1 + 0.2
    assert repr(total) == "0.30000000000000004"  # the noise this is about
    assert repr(tidy(total)) == "0.3"
    assert repr(tidy(3858.7900000000004)) == "3858.79"
    assert tidy({"sum": 0.1 + 0.2, "n": 3, "tags": ["a", 1.0000000000001], "ok": True}) == {
        "sum": 0.3,
        "n": 3,
        "tags": ["a", 1.0],
        "ok": True,
    }
    assert tidy(1e-20 / 3) == float(format(1e-20 / 3, ".12g"))
    assert math.isnan(tidy(float("nan"))) and tidy(float("inf")) == float("inf")


def test_the_preview_and_state_views_show_tidy_floats():
    value = {"category": "books", "revenue": 3858.7900000000004}
    assert record_text(value) == '{"category": "books", "revenue": 3858.79}'
    assert '"revenue": 3858.79\n' in pretty(value)
    assert row_text(value) == '{"category": "books", "revenue": 3858.79}'
    assert row_text(0.1 + 0.2) == "0.3"


def test_deeply_nested_values_are_shown_as_they_are():
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert tidy(deep) is deep
