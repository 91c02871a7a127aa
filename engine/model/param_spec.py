"""What one parameter of a node type (or a topology setting) is: its kind, default,
choices and help, and when it means anything (``applies_when``). The node catalogue
(``engine.model.catalogue``) is made of these; validation, the inspector and the file
format read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.model.expressions import RECORD_NAMES


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a node type.

    kind is one of: string, topic, path, expr, enum, int, number, bool, duration, fields,
    branches, aggregations, window, timestamp (``record`` or an expression),
    field_list (names of value fields), schema (schema text, a file, or subject:<name>).
    """

    name: str
    kind: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    label: str = ""
    help: str = ""
    names: tuple[str, ...] = RECORD_NAMES  # context names of expression params
    minimum: float | None = None
    # When the param means anything: (other param, its values) pairs, any one enough; ()
    # always. The inspector shows the param then, or whenever it holds a value.
    applies_when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def applies(self, params: dict, specs: tuple[ParamSpec, ...]) -> bool:
        """Whether this param means anything beside ``params`` (a node's, defaults from
        ``specs``), or holds a value of its own."""
        if not self.applies_when or params.get(self.name) not in (None, ""):
            return True
        defaults = {s.name: s.default for s in specs}
        return any(
            params.get(other, defaults.get(other)) in values for other, values in self.applies_when
        )
