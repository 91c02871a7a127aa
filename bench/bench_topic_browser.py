"""The Topic Browser window (reference §9.12, gui/topics): the time until the first records are on
screen, and how late the window's event loop runs while a filtered scan reads the topic.

    python bench/bench_topic_browser.py                    # 1,000,000 records of ~200 B
    python bench/bench_topic_browser.py --records 200000   # fewer, where filling takes long

It starts a sandbox broker, fills a topic as ``bench_topic_scan.py`` does, opens the
browser (offscreen) and measures:

- first page shown: from opening the browser (its partitions' offsets, then the scan) to
  the first rows in its table;
- event-loop lateness: a 10 ms timer's lateness while the filter ``value['customer'] ==
  'c-77' and value['amount'] > 100`` scans the whole topic (p50, p95, max), and the scan's
  rate as seen by the window.

Targets: first page shown ≤ 1 s; lateness p95 ≤ 50 ms. Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_topic_scan import FILTER, fill
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from engine.cluster.broker import SandboxBroker
from engine.cluster.topics.reader import TopicReader
from gui.topics.qt_browser import QtTopicBrowser

TICK_MS = 10


def wait(app: QApplication, done, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if done():
            return True
        time.sleep(0.001)
    return False


def measure(app: QApplication, bootstrap: str, topic: str) -> tuple[float, list[float], float]:
    browser = QtTopicBrowser(topic, lambda: TopicReader(bootstrap))
    browser.resize(1200, 700)
    browser.show()
    start = time.perf_counter()
    browser.load()
    assert wait(app, lambda: browser.model.rowCount() > 0, 60), browser.status.text()
    first = time.perf_counter() - start
    assert wait(app, lambda: not browser.scanning, 120)

    late: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(TICK_MS)

    def tick() -> None:
        late.append(max(0.0, clock.restart() - TICK_MS))

    timer.timeout.connect(tick)
    browser.filter_edit.setText(FILTER)
    browser.seek()
    clock.start()
    timer.start()
    started = time.perf_counter()
    assert wait(app, lambda: not browser.scanning, 600)
    took = time.perf_counter() - started
    timer.stop()
    scanned = browser.runner.scan.progress.scanned if browser.runner.scan else 0
    browser.close()
    return first, late, scanned / took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    broker = SandboxBroker()
    broker.start()
    try:
        topic = f"bench-browser-{uuid.uuid4().hex[:8]}"
        fill(broker.bootstrap, topic, args.records)
        first, late, rate = measure(app, broker.bootstrap, topic)
    finally:
        broker.stop()
    late.sort()
    p95 = late[int(len(late) * 0.95)] if late else 0.0
    print(f"first page shown: {first * 1000:.0f} ms (target ≤ 1000)")
    print(
        f"event-loop lateness during the scan: p50 {statistics.median(late):.1f} ms, "
        f"p95 {p95:.1f} ms, max {late[-1]:.1f} ms (target p95 ≤ 50) over {len(late)} ticks"
    )
    print(f"filter scan seen by the window: {rate:,.0f} records/s")
    return 0 if first <= 1.0 and p95 <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
