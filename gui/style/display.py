"""How values read on screen: floats without the noise of binary arithmetic.

``3858.79`` summed from parts is ``3858.7900000000004``; shown, it is rounded to 12
significant digits, written as short as Python writes floats. Only what is shown: the
records, state and files keep their values as they are.
"""

from __future__ import annotations

import math
from typing import Any

SIGNIFICANT_DIGITS = 12


def tidy(value: Any) -> Any:
    """``value`` with every float in it (in lists and objects too) rounded for display."""
    try:
        return _tidy(value)
    except RecursionError:  # nested deeper than anyone reads: shown as it is
        return value


def _tidy(value: Any) -> Any:
    if isinstance(value, float):
        return float(format(value, f".{SIGNIFICANT_DIGITS}g")) if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tidy(v) for v in value]
    return value
