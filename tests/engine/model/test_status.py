"""Run statuses: one enum whose members are the strings written to files, pipes and topics."""

from __future__ import annotations

import json
import pickle

import orjson

from engine.model.status import ACTIVE, ENDED, RunStatus


def test_a_status_is_written_as_the_same_text_and_read_back_equal():
    assert json.dumps({"status": RunStatus.FAILED}) == '{"status": "failed"}'
    assert orjson.dumps({"status": RunStatus.DISCONNECTED}) == b'{"status":"disconnected"}'
    assert f"{RunStatus.STOPPED}" == "stopped"
    assert pickle.loads(pickle.dumps(RunStatus.RUNNING)) is RunStatus.RUNNING
    read = json.loads(json.dumps({"status": RunStatus.STOPPING}))["status"]
    assert read == RunStatus.STOPPING and read in ACTIVE


def test_a_status_from_elsewhere_is_read_or_replaced():
    assert RunStatus.read("failed", RunStatus.RUNNING) is RunStatus.FAILED
    assert RunStatus.read("exploded", RunStatus.RUNNING) is RunStatus.RUNNING
    assert RunStatus.read(None, RunStatus.STARTING) is RunStatus.STARTING


def test_ended_and_active_part_the_run_statuses():
    assert ENDED == {"stopped", "failed"}
    assert RunStatus.FAILED.ended and not RunStatus.STOPPING.ended
    assert ENDED.isdisjoint(ACTIVE)
    assert ENDED | ACTIVE | {RunStatus.IDLE} == set(RunStatus)
