"""The ``topology-studio`` command: subcommands run headless in the engine; no argument,
an option or an existing file opens the app; any other word is a mistyped command and
exits 2 (it must not open a window). Qt is imported only when the app opens."""

from __future__ import annotations

import os
import sys

from engine.cli import SUBCOMMANDS
from engine.cli import main as engine_main


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in SUBCOMMANDS or args[0] in ("-h", "--help", "--version")):
        return engine_main(args)
    if args and not args[0].startswith("-") and not os.path.exists(args[0]):
        from engine.cli.commands import unknown_command

        print(unknown_command(args[0]), file=sys.stderr)
        return 2
    from gui.app.application import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
