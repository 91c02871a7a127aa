"""Guard against the PySide6 build that corrupts the refcount of None on Python 3.11.

PySide6-Essentials 6.12.0 drops a reference to None on every Qt call that returns
nothing; on Python 3.11 the process aborts (``Fatal Python error: none_dealloc``) after
some thousands of paint calls. pyproject.toml pins < 6.12 there; these tests fail if
that pin is lost or a broken build slips in.
"""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtCore import QObject


def test_pyside_version_is_safe_for_this_python():
    if sys.version_info < (3, 12):
        assert PySide6.__version_info__[:2] < (6, 12), (
            f"PySide6 {PySide6.__version__} corrupts None's refcount on Python 3.11; "
            "pyproject.toml pins < 6.12 for it"
        )


def test_void_qt_calls_keep_none_alive():
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(20_000):
        obj.setObjectName("guard")  # returns nothing
    after = sys.getrefcount(None)
    assert after >= before - 1_000, f"None lost {before - after} references in 20000 void Qt calls"
