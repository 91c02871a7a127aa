"""docs/reference.md §9 keeps step with the argument parser (engine/cli): every command has
its section, naming each of its options and their values; no section is for a command the
parser lacks; and every exit status the command line uses is in §9's Exit status table."""

from __future__ import annotations

import argparse
import re

import pytest

from engine.cli import build_parser
from engine.cli.diff import EXIT_CHANGED, EXIT_STATE_LOST
from engine.cli.status import EXIT_NONE_FOUND
from engine.cli.testing import EXIT_FAILED_CASE
from engine.code.runner import EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE
from tests.engine.reference_doc import section, subsections

HELP = ("-h", "--help")


def _commands() -> dict[str, argparse.ArgumentParser]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _command_sections() -> dict[str, str]:
    """{command: its section's heading and text}, from §9's "`topology-studio COMMAND`" headings."""
    out = {}
    for heading, body in subsections("9").values():
        match = re.match(r"`topology-studio ([a-z][\w-]*)", heading)
        if match:
            out[match.group(1)] = heading + "\n" + body
    return out


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def test_every_command_has_a_section_and_no_section_is_stale():
    commands, documented = set(_commands()), set(_command_sections())
    assert commands, "the parser has no subcommands"
    assert not commands - documented, f"commands without a section in §9: {commands - documented}"
    assert not documented - commands, (
        f"§9 documents commands the parser lacks: {documented - commands}"
    )


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_option_and_argument_of_a_command_is_in_its_section(command):
    text = _command_sections()[command]
    for action in _commands()[command]._actions:
        names = [o for o in action.option_strings if o not in HELP]
        if action.option_strings and not names:
            continue  # -h/--help: said once for every command
        for name in names:
            assert _mentions(text, name), f"§9 {command}: option {name} is not mentioned"
        metavar = action.metavar or (None if action.option_strings else action.dest)
        if metavar and not isinstance(metavar, tuple):
            assert _mentions(text, metavar), f"§9 {command}: {metavar} is not mentioned"


def _actions_of_subcommands(parser: argparse.ArgumentParser):
    """(name, action) of the sub-subcommands' own options (``topic read --filter``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                for child_action in child._actions:
                    yield name, child_action


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_option_of_a_sub_subcommand_is_in_its_command_section(command):
    text = _command_sections()[command]
    for name, action in _actions_of_subcommands(_commands()[command]):
        assert _mentions(text, name), f"§9 {command}: {name} is not mentioned"
        for option in action.option_strings:
            if option not in HELP:
                assert _mentions(text, option), f"§9 {command} {name}: {option} is not mentioned"
        metavar = action.metavar or (None if action.option_strings else action.dest)
        if metavar and not isinstance(metavar, tuple):
            assert _mentions(text, metavar), f"§9 {command} {name}: {metavar} is not mentioned"


def test_the_top_level_options_are_in_section_9():
    text = section("9")
    for action in build_parser()._actions:
        for name in action.option_strings:
            assert _mentions(text, name), f"§9: option {name} is not mentioned"


def test_every_exit_status_is_in_the_table():
    table = next(body for heading, body in subsections("9").values() if heading == "Exit status")
    codes = {EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_FAILED}
    codes |= {EXIT_NONE_FOUND, EXIT_FAILED_CASE, EXIT_CHANGED, EXIT_STATE_LOST}
    for code in sorted(codes):
        assert re.search(rf"^\| {code} \|", table, re.MULTILINE), f"§9 Exit status: {code}"
