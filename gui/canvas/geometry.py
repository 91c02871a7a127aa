"""Node geometry shared by the node items and the auto-layout (Qt-free).

A node is a coloured header with its id, a body with one row per port (inputs on the
left, outputs on the right) and a one-line summary of its main param. Nodes whose
only ports are the default ``in`` and ``out`` are drawn compact, with unlabelled ports.
"""

from __future__ import annotations

NODE_WIDTH = 200.0
HEADER_HEIGHT = 28.0
ROW_HEIGHT = 22.0
SUMMARY_HEIGHT = 22.0
PAD = 6.0
COMPACT_BODY = 36.0
PORT_RADIUS = 5.5
GRID = 20.0  # the canvas grid's spacing; node moves snap to it


def labelled(inputs: tuple[str, ...] | list[str], outputs: tuple[str, ...] | list[str]) -> bool:
    """Whether ports get labels: any port other than a lone ``in`` or ``out``."""
    return not (tuple(inputs) in ((), ("in",)) and tuple(outputs) in ((), ("out",)))


def node_height(inputs, outputs) -> float:
    if not labelled(inputs, outputs):
        return HEADER_HEIGHT + COMPACT_BODY
    rows = max(len(inputs), len(outputs), 1)
    return HEADER_HEIGHT + PAD + rows * ROW_HEIGHT + SUMMARY_HEIGHT + PAD / 2


def port_y(index: int, count: int, inputs, outputs) -> float:
    """Y of a port's centre, relative to the node's top."""
    if not labelled(inputs, outputs):
        return HEADER_HEIGHT + COMPACT_BODY / 2
    return HEADER_HEIGHT + PAD + ROW_HEIGHT * (index + 0.5)


def summary_rect(inputs, outputs) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the summary line, relative to the node's top-left."""
    if not labelled(inputs, outputs):
        return (14.0, HEADER_HEIGHT, NODE_WIDTH - 28.0, COMPACT_BODY)
    rows = max(len(inputs), len(outputs), 1)
    return (12.0, HEADER_HEIGHT + PAD + rows * ROW_HEIGHT, NODE_WIDTH - 24.0, SUMMARY_HEIGHT)
