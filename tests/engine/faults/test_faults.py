"""Faults on the sandbox broker, measured: processes killed and paused mid-run, the figures
of docs/reliability.md (records in and out, duplicates, lost, exact window totals).

Each scenario starts and kills only processes of its own (runs as subprocesses, and for
the pause a broker of its own); paused processes are always continued.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from engine.cluster.broker import SandboxBroker
from tests.engine.faults.harness import (
    Feeder,
    RunProcess,
    copy_ids,
    expected_totals,
    fault_topology,
    figures,
    final_totals,
    make_records,
    produce,
    read_topic,
    wait_for,
    write_topology,
)
from tests.engine.kafka_util import create_topic

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
N = 20_000


def kill_mid_stream_and_restart(bootstrap, name, topology, tmp_path, fault: str):
    """Feeds N records over 15 s into ``topology`` (named ``name``, reading ``<name>-in``) run
    by ``topology-studio run``, SIGKILLs the run mid-stream, runs it again until idle and
    returns its figures (``figures``) with the final totals and the second run."""
    src = f"{name}-in"
    create_topic(bootstrap, src, partitions=3)
    records = make_records(N)
    path = write_topology(topology, tmp_path)
    # Over 15 s: the kill must land mid-stream even when the run and the reads of its output
    # are slow (the suite runs in several processes on the same cores).
    feeder = Feeder(bootstrap, src, records, seconds=15)
    first = RunProcess(path, bootstrap, log=tmp_path / "first.log")
    try:
        feeder.start()
        # mid-stream and mid-window: windows hold 1,000 records each
        wait_for(
            lambda: len(copy_ids(bootstrap, name, timeout=2)) >= 3_500, 90, "the first outputs"
        )
        first.kill()
        out_at_kill = len(copy_ids(bootstrap, name, timeout=2))
        feeder.join(60)
        second = RunProcess(
            path,
            bootstrap,
            "--until-idle",
            "3",
            "--max-seconds",
            "150",
            log=tmp_path / "second.log",
        )
        started = time.monotonic()
        code = second.wait(180)
        restart_s = time.monotonic() - started
    finally:
        first.close()
    ids = copy_ids(bootstrap, name, expect=N)
    totals = final_totals(bootstrap, name)
    row = figures(
        fault,
        records,
        ids,
        totals,
        out_at_kill=out_at_kill,
        restart_s=round(restart_s, 1),
        exit=code,
    )
    assert code == 0, second.stderr()
    assert row["lost"] == 0, row
    assert out_at_kill < N, "the kill must land mid-stream"
    return row, records, totals


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
def test_worker_killed_mid_window_and_restarted(bootstrap, unique, tmp_path, guarantee):
    name = f"kill-{guarantee.split('_')[0]}-{unique}"
    row, _, _ = kill_mid_stream_and_restart(
        bootstrap,
        name,
        fault_topology(name, f"{name}-in", guarantee),
        tmp_path,
        f"worker SIGKILLed mid-window, restarted ({guarantee})",
    )
    if guarantee == "at_least_once":  # changelog checkpoints: no window counts a record twice
        assert row["exact_totals"], row


def test_worker_killed_while_handing_over_and_restarted(bootstrap, unique, tmp_path):
    """Grouped through a repartition topic, a run alone hands the records over in-process
    (reference §7.3); killed mid-stream, the next run restores the stores from their
    changelogs and checkpoints and loses nothing. Exactness is the topic path's: a kill
    between the checkpoints and the offset commit would count that interval again."""
    name = f"kill-handed-{unique}"
    _, records, totals = kill_mid_stream_and_restart(
        bootstrap,
        name,
        fault_topology(name, f"{name}-in", regroup=True),
        tmp_path,
        "worker SIGKILLed while handing records over, restarted (at_least_once)",
    )
    short = {
        cell: (totals.get(cell), want)
        for cell, want in expected_totals(records).items()
        if not (totals.get(cell, (0, 0))[0] >= want[0] and totals.get(cell, (0, 0))[1] >= want[1])
    }
    assert not short, f"windows that lost records: {list(short.items())[:5]}"
    assert len(read_topic(bootstrap, f"{name}-totals-repartition", quiet=1.0)) < N  # handed over


def test_broker_paused_20s_mid_run(unique, tmp_path):
    broker = SandboxBroker().start()
    run = None
    try:
        name = f"pause-{unique}"
        src = f"{name}-in"
        create_topic(broker.bootstrap, src, partitions=3)
        records = make_records(N)
        half = N // 2
        path = write_topology(fault_topology(name, src), tmp_path)
        run = RunProcess(path, broker.bootstrap, log=tmp_path / "run.log")
        produce(broker.bootstrap, src, records[:half])
        wait_for(
            lambda: len(copy_ids(broker.bootstrap, name, timeout=2)) >= half // 2, 90, "outputs"
        )
        os.kill(broker.process.pid, signal.SIGSTOP)
        paused = time.monotonic()
        detected_s = None
        try:
            while time.monotonic() - paused < 20:
                if detected_s is None and "disconnected" in run.stderr():
                    detected_s = round(time.monotonic() - paused, 1)
                time.sleep(0.25)
        finally:
            os.kill(broker.process.pid, signal.SIGCONT)
        resumed = time.monotonic()
        produce(broker.bootstrap, src, records[half:])
        wait_for(
            lambda: len(set(copy_ids(broker.bootstrap, name, timeout=3))) >= N,
            120,
            "every record out after the pause",
        )
        caught_up_s = time.monotonic() - resumed
        code = run.stop()
        ids = copy_ids(broker.bootstrap, name, expect=N)
        row = figures(
            "broker SIGSTOPped 20 s mid-run, then continued",
            records,
            ids,
            final_totals(broker.bootstrap, name),
            caught_up_s=round(caught_up_s, 1),
            disconnected_after_s=detected_s,
            exit=code,
        )
        assert code == 0, run.stderr()
        assert row["lost"] == 0, row
        assert detected_s is not None and detected_s < 10, row  # a pause is noticed
    finally:
        if run is not None:
            run.close()
        try:
            os.kill(broker.process.pid, signal.SIGCONT)
        except (ProcessLookupError, AttributeError, TypeError):
            pass
        broker.stop()


def test_two_instances_one_killed(bootstrap, unique, tmp_path):
    name = f"pair-{unique}"
    src = f"{name}-in"
    create_topic(bootstrap, src, partitions=4)
    records = make_records(N)
    path = write_topology(fault_topology(name, src, partitions=4), tmp_path)
    runs = [RunProcess(path, bootstrap, log=tmp_path / f"run{i}.log") for i in range(2)]
    feeder = Feeder(bootstrap, src, records, seconds=10)
    try:
        feeder.start()
        wait_for(lambda: len(copy_ids(bootstrap, name, timeout=2)) >= N // 4, 90, "both running")
        runs[0].kill()
        killed = time.monotonic()
        feeder.join(60)
        wait_for(
            lambda: len(set(copy_ids(bootstrap, name, timeout=3))) >= N,
            120,
            "the survivor taking over every partition",
        )
        takeover_s = time.monotonic() - killed
        code = runs[1].stop()
    finally:
        for run in runs:
            run.close()
    ids = copy_ids(bootstrap, name, expect=N)
    row = figures(
        "two instances, one SIGKILLed",
        records,
        ids,
        final_totals(bootstrap, name),
        takeover_s=round(takeover_s, 1),
        exit=code,
    )
    assert code == 0, runs[1].stderr()
    assert row["lost"] == 0, row
