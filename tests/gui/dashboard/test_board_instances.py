"""The board's rows when several instances of a run send dashboards: the union of their
rows, each instance's resend and drops touching only its own rows (no Qt needed)."""

from __future__ import annotations

from gui.dashboard.board import DashboardBoard


def change(instance, rows=(), removed=(), reset=False):
    out = {
        "reset": reset,
        "rows": [(k, ws, {"n": n}) for k, ws, n in rows],
        "removed": list(removed),
    }
    if instance is not None:
        out["instance"] = instance
    return out


def visible(board, node_id="d"):
    return sorted((k, ws, v["n"]) for k, ws, v in board.table(node_id).rows())


def test_a_whole_table_resend_replaces_only_that_instances_rows():
    board = DashboardBoard()
    board.apply({"d": change(0, rows=[("a", 0, 1), ("b", 0, 2)])})
    board.apply({"d": change(1, rows=[("c", 0, 3), ("d", 0, 4)])})
    assert visible(board) == [("a", 0, 1), ("b", 0, 2), ("c", 0, 3), ("d", 0, 4)]
    # Instance 1 resends its whole table, without "d": instance 0's rows stay.
    board.apply({"d": change(1, rows=[("c", 0, 5)], reset=True)})
    assert visible(board) == [("a", 0, 1), ("b", 0, 2), ("c", 0, 5)]


def test_a_row_dropped_by_one_instance_disappears_and_only_its_owner_drops_it():
    board = DashboardBoard()
    board.apply({"d": change(0, rows=[("a", 0, 1), ("b", None, 2)])})
    board.apply({"d": change(1, rows=[("c", 0, 3)])})
    board.apply({"d": change(0, removed=[("a", 0)])})
    assert visible(board) == [("b", None, 2), ("c", 0, 3)]
    board.apply({"d": change(1, removed=[("b", None)])})  # not instance 1's row
    assert visible(board) == [("b", None, 2), ("c", 0, 3)]


def test_rows_whose_partition_moved_are_neither_lost_nor_duplicated():
    board = DashboardBoard()
    board.apply({"d": change(0, rows=[("a", 0, 1), ("b", 0, 2)])})
    board.apply({"d": change(1, rows=[("c", 0, 3)])})
    # Instance 0 stops; its partitions go to instance 1, which updates "a" only so far.
    board.apply({"d": change(1, rows=[("a", 0, 10)])})
    assert visible(board) == [("a", 0, 10), ("b", 0, 2), ("c", 0, 3)]
    # Instance 1 resends its whole table: "b" (still instance 0's) is not lost.
    board.apply({"d": change(1, rows=[("a", 0, 10), ("c", 0, 3)], reset=True)})
    assert visible(board) == [("a", 0, 10), ("b", 0, 2), ("c", 0, 3)]
    # A late resend or drop from instance 0 of a row it no longer owns changes nothing.
    board.apply({"d": change(0, rows=[("a", 0, 1), ("b", 0, 2)], reset=True)})
    assert visible(board) == [("a", 0, 10), ("b", 0, 2), ("c", 0, 3)]
    board.apply({"d": change(0, removed=[("a", 0)])})
    assert visible(board) == [("a", 0, 10), ("b", 0, 2), ("c", 0, 3)]
    # Once instance 1 writes "b", it is instance 1's: its resend without "b" drops it.
    board.apply({"d": change(1, rows=[("b", 0, 20)])})
    board.apply({"d": change(1, rows=[("a", 0, 10)], reset=True)})
    assert visible(board) == [("a", 0, 10)]


def test_one_instance_behaves_as_before():
    board = DashboardBoard()
    board.apply({"d": change(None, rows=[("a", 0, 1), ("b", 0, 2)])})
    board.apply({"d": change(None, removed=[("b", 0)])})
    assert visible(board) == [("a", 0, 1)]
    board.apply({"d": change(None, rows=[("c", 0, 3)], reset=True)})
    assert visible(board) == [("c", 0, 3)]


def test_rename_and_clear_carry_the_owners():
    board = DashboardBoard()
    board.apply({"d": change(0, rows=[("a", 0, 1)])})
    board.apply({"d": change(1, rows=[("b", 0, 2)])})
    board.rename("d", "e")
    board.apply({"e": change(1, rows=[], reset=True)})
    assert visible(board, "e") == [("a", 0, 1)]
    board.clear()
    assert board.owners == {} and board.tables == {}
