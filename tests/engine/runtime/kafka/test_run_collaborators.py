"""The Kafka run's collaborators on their own, without a broker."""

from __future__ import annotations

import subprocess
import sys
import time

from engine.runtime.kafka.idle import IdleClock
from engine.runtime.kafka.lifecycle import RunState
from engine.runtime.kafka.slots import claim_slot, transactional_id


def test_idle_time_counts_only_while_the_run_could_read():
    clock = IdleClock()
    assert clock.tick(0.0, ready=True) == 0  # not assigned yet
    clock.assigned = True
    clock.input(10.0)
    assert clock.tick(11.0, ready=True) == 1.0
    assert clock.tick(15.0, ready=False) == 0  # disconnected: starts again
    assert clock.tick(16.0, ready=True) == 1.0
    clock.input(16.5)
    assert clock.tick(17.0, ready=True) == 0.5


def test_run_state_tells_each_change_once():
    told = []
    state = RunState(lambda s, r: told.append((s, r)))
    state.set("running")
    state.set("running")
    state.fail("boom")
    assert told == [("running", ""), ("failed", "boom")] and state.stopping


def test_instance_slots_are_stable_and_free_again_when_a_process_dies(tmp_path):
    first = claim_slot("app", str(tmp_path))
    second = claim_slot("app", str(tmp_path))
    assert (first.number, second.number) == (0, 1)
    assert transactional_id("app", first.number) == "app-0"
    first.release()
    assert claim_slot("app", str(tmp_path)).number == 0
    assert claim_slot("other", str(tmp_path)).number == 0
    assert claim_slot("app", str(tmp_path), slot=7).number == 7

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; sys.path.insert(0, '.');"
                "from engine.runtime.kafka.slots import claim_slot;"
                f"s = claim_slot('killed', {str(tmp_path)!r}); print(s.number, flush=True); time.sleep(60)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "0"
        assert claim_slot("killed", str(tmp_path)).number == 1
        holder.kill()
        holder.wait(10)
        time.sleep(0.1)
        assert claim_slot("killed", str(tmp_path)).number == 0
    finally:
        holder.kill()
