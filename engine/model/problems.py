"""Problems found in a topology: one human sentence each, tied to a node where there is one."""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    node_id: str | None
    message: str
    severity: str = ERROR
    param: str | None = None

    def __str__(self) -> str:
        where = self.node_id if self.node_id is not None else "topology"
        # One line per problem, whatever text a file put into the message.
        text = " ".join(f"{where}: {self.message}".splitlines())
        return text if self.severity == ERROR else f"{text} (warning)"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


class TopologyError(Exception):
    """A topology that cannot be loaded or run; carries its problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
