"""State stores: memory and RocksDB behave the same; changelogging and restore."""

from __future__ import annotations

import os

import pytest

from engine.runtime.state import (
    ChangeloggingStore,
    MemoryStore,
    RocksDBStore,
    decode_entry,
    encode_entry,
    make_store,
    restore,
    store_path,
)


@pytest.fixture(params=["memory", "rocksdb"])
def store(request, tmp_path):
    made = make_store(request.param, str(tmp_path), "app", "agg", 0)
    yield made
    made.close()


def test_get_put_delete(store):
    assert store.get("a") is None
    assert store.get("a", 7) == 7
    store.put("a", 1)
    store.put("a", {"x": [1, 2.5, None, "é"], "y": {"z": True}})
    assert store.get("a") == {"x": [1, 2.5, None, "é"], "y": {"z": True}}
    store.delete("a")
    store.delete("a")  # deleting a missing key is fine
    assert store.get("a") is None
    assert len(store) == 0


def test_items_are_every_entry(store):
    for key in ['w:10:"b"', "#stream_time", 'w:0:"a"', "k:1"]:
        store.put(key, key.upper())
    store.delete("k:1")
    assert sorted(store.items()) == [
        ("#stream_time", "#STREAM_TIME"),
        ('w:0:"a"', 'W:0:"A"'),
        ('w:10:"b"', 'W:10:"B"'),
    ]
    assert len(store) == 3


def test_items_may_be_read_while_the_store_changes(store):
    for i in range(5):
        store.put(f"k{i}", i)
    for key, value in store.items():
        if value % 2:
            store.delete(key)
    assert sorted(k for k, _ in store.items()) == ["k0", "k2", "k4"]


def test_clear(store):
    store.put("a", 1)
    store.clear()
    assert list(store.items()) == []


def test_rocksdb_iterates_in_key_order_and_persists(tmp_path):
    path = store_path(str(tmp_path), "app", "agg", 3)
    assert path == os.path.join(str(tmp_path), "app", "agg", "3")
    db = RocksDBStore(path)
    for key in ["b", "a", "c"]:
        db.put(key, [key])
    assert [k for k, _ in db.items()] == ["a", "b", "c"]
    db.close()
    again = make_store("rocksdb", str(tmp_path), "app", "agg", 3)
    assert again.get("b") == ["b"]
    again.destroy()
    assert not os.path.exists(path)


def test_make_store_kinds(tmp_path):
    assert isinstance(make_store("memory", None, "app", "n", 0), MemoryStore)
    with pytest.raises(ValueError, match="state_store"):
        make_store("redis", None, "app", "n", 0)


def test_changelogging_store_logs_every_change(store):
    log = []
    logged = ChangeloggingStore(store, lambda k, v: log.append((k, v)))
    logged.put("a", {"n": 1})
    logged.put("b", 2)
    logged.delete("a")
    logged.put("b", None)  # None is the tombstone: a delete
    assert log == [("a", {"n": 1}), ("b", 2), ("a", None), ("b", None)]
    assert list(logged.items()) == [] and logged.get("b", 0) == 0


def test_restore_applies_the_changelog_without_logging_again(store):
    source_log = []
    source = ChangeloggingStore(MemoryStore(), lambda k, v: source_log.append(encode_entry(k, v)))
    source.put("a", 1)
    source.put("b", [1, {"c": None}])
    source.put("a", 3)
    source.delete("b")
    source.put("c", "x")
    relog = []
    target = ChangeloggingStore(store, lambda k, v: relog.append(k))
    assert restore(target, (decode_entry(k, v) for k, v in source_log)) == 5
    assert relog == []
    assert sorted(target.items()) == sorted(source.items()) == [("a", 3), ("c", "x")]


def test_changelog_entries_are_utf8_keys_and_json_values():
    assert encode_entry('w:0:"é"', {"a": [1]}) == ('w:0:"é"'.encode(), b'{"a":[1]}')
    assert encode_entry("k", None) == (b"k", None)
    assert decode_entry(b"k", b'{"a":[1]}') == ("k", {"a": [1]})
    assert decode_entry(b"k", None) == ("k", None)
