"""The ``topology-studio`` command: subcommands run headless in the engine; anything
else opens the app. Qt is imported only when the app opens."""

from __future__ import annotations

import sys

from engine.cli import SUBCOMMANDS
from engine.cli import main as engine_main


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in SUBCOMMANDS or args[0] in ("-h", "--help", "--version")):
        return engine_main(args)
    from gui.app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
