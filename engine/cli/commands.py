"""What the first word of ``topology-studio WORD ...`` may be: the subcommands, as the
parser knows them (so a command added there is listed here without a second copy), and
the message for a word that is none of them."""

from __future__ import annotations

import argparse
import difflib
import os


def command_names() -> list[str]:
    """The subcommands of ``topology-studio``, in the order the parser declares them."""
    from engine.cli import SUBCOMMANDS, build_parser

    names: list[str] = []
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            names.extend(action.choices)
    return names + [name for name in SUBCOMMANDS if name not in names]


def unknown_command(word: str, names: list[str] | None = None) -> str:
    """``topology-studio: unknown command 'statsu'`` with the closest command and the list."""
    names = command_names() if names is None else names
    path_like = os.sep in word or "/" in word or os.path.splitext(word)[1] != ""
    lines = [f"topology-studio: {'no such file or ' if path_like else ''}unknown command '{word}'"]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.5)
    if close:
        lines.append(f"Did you mean '{close[0]}'?")
    lines.append(
        f"Commands: {', '.join(names)}. A topology file opens in the app: topology-studio FILE"
    )
    return "\n".join(lines)
