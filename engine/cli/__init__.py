"""The headless command line: run, validate, export, import, broker, status, test, trace,
diff, deploy, topic, offsets (reference §9)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from engine import __version__
from engine.code.runner import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    _Parser,
    add_run_options,
    cannot_write,
)
from engine.model import fileformat
from engine.model.problems import TopologyError
from engine.model.validation import errors, validate

SUBCOMMANDS = (
    "run",
    "validate",
    "export",
    "import",
    "broker",
    "status",
    "test",
    "trace",
    "diff",
    "deploy",
    "topic",
    "offsets",
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="topology-studio",
        description="Design, run and monitor Kafka stream-processing topologies.",
    )
    parser.add_argument("--version", action="version", version=f"topology-studio {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run a topology headless")
    run.add_argument("file", metavar="FILE")
    add_run_options(run)

    val = sub.add_parser("validate", help="check a topology file")
    val.add_argument("file", metavar="FILE")

    exp = sub.add_parser("export", help="write a topology as a runnable Python script")
    exp.add_argument("file", metavar="FILE")
    exp.add_argument("-o", "--output", metavar="OUT.py")

    imp = sub.add_parser("import", help="read a script written by export back into a topology file")
    imp.add_argument("script", metavar="SCRIPT.py")
    imp.add_argument("-o", "--output", metavar="FILE")

    brk = sub.add_parser(
        "broker", help="run the local sandbox broker and its schema registry in the foreground"
    )
    brk.add_argument("--port", type=_port, default=9092)
    brk.add_argument(
        "--registry-port",
        type=_port,
        default=None,
        metavar="M",
        help="the schema registry's port (default: a free port)",
    )

    from engine.cli import status as status_cmd

    status_cmd.add_parser(sub)
    from engine.cli import testing

    testing.add_parsers(sub)
    from engine.cli import diff as diff_cmd

    diff_cmd.add_parser(sub)
    from engine.cli import deploy

    deploy.add_parser(sub)
    from engine.cli import topics

    topics.add_parsers(sub)
    return parser


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return port


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # A console that cannot show a character (e.g. "→" in a message) must not crash us.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    return {
        "run": cmd_run,
        "validate": cmd_validate,
        "export": cmd_export,
        "import": cmd_import,
        "broker": cmd_broker,
        "status": _cmd_status,
        "test": _cmd_test,
        "trace": _cmd_trace,
        "diff": _cmd_diff,
        "deploy": _cmd_deploy,
        "topic": _cmd_topic,
        "offsets": _cmd_offsets,
    }[args.command](args)


def _cmd_deploy(args) -> int:
    from engine.cli.deploy import cmd_deploy

    return cmd_deploy(args)


def _cmd_topic(args) -> int:
    from engine.cli.topics import cmd_topic

    return cmd_topic(args)


def _cmd_offsets(args) -> int:
    from engine.cli.topics import cmd_offsets

    return cmd_offsets(args)


def _cmd_test(args) -> int:
    from engine.cli.testing import cmd_test

    return cmd_test(args)


def _cmd_trace(args) -> int:
    from engine.cli.testing import cmd_trace

    return cmd_trace(args)


def _cmd_diff(args) -> int:
    from engine.cli.diff import cmd_diff

    return cmd_diff(args)


def _cmd_status(args) -> int:
    from engine.cli.status import cmd_status

    return cmd_status(args)


def _load_or_report(path: str):
    topology, problems = fileformat.read(path)
    if fileformat.refusal(problems) is None:
        problems += [p for p in validate(topology) if p not in problems]
    return topology, problems


def _refused(path: str, problems, out=None) -> bool:
    """A file that holds no topology is one sentence (its problems would be noise), on
    stderr unless ``out`` is given."""
    sentence = fileformat.refusal(problems, path)
    if sentence is None:
        return False
    print(sentence, file=out or sys.stderr)
    return True


def cmd_validate(args) -> int:
    topology, problems = _load_or_report(args.file)
    if _refused(args.file, problems, sys.stdout):
        return EXIT_INVALID
    for problem in problems:
        print(problem)
    if errors(problems):
        return EXIT_INVALID
    print(
        f"{args.file}: valid ({len(topology.nodes)} nodes, {len(topology.edges)} edges)",
        file=sys.stderr,
    )
    return EXIT_OK


def _load_valid(path: str):
    """The topology in ``path``, or None after printing its errors to stderr."""
    topology, problems = _load_or_report(path)
    if _refused(path, problems):
        return None
    bad = errors(problems)
    for problem in bad:
        print(problem, file=sys.stderr)
    return None if bad else topology


def cmd_run(args) -> int:
    topology = _load_valid(args.file)
    if topology is None:
        return EXIT_INVALID
    from engine.code.runner import run_with_options

    return run_with_options(topology, args)


def cmd_export(args) -> int:
    from engine.code.export import export_script

    topology = _load_valid(args.file)
    if topology is None:
        return EXIT_INVALID
    script = export_script(topology)
    if args.output:
        try:
            Path(args.output).write_text(script, encoding="utf-8")
        except OSError as exc:
            return cannot_write(args.output, exc)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(script)
    return EXIT_OK


def cmd_import(args) -> int:
    from engine.code.importer import ImportScriptError, import_script, read_script

    try:
        source = read_script(args.script)  # with the encoding it declares
        topology = import_script(source, filename=args.script)
    except ImportScriptError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    except TopologyError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    if args.output:
        try:
            fileformat.write(topology, args.output)
        except OSError as exc:
            return cannot_write(args.output, exc)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(fileformat.dumps(topology))
    return EXIT_OK


def cmd_broker(args) -> int:
    from engine.cluster.broker import BrokerError, SandboxBroker

    stop = {"now": False}

    def on_signal(signum, frame):
        stop["now"] = True

    # Before the broker starts: a Ctrl+C the moment it listens must still stop it cleanly.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    broker = SandboxBroker(port=args.port, registry_port=args.registry_port)
    try:
        broker.start(foreground=True)
    except BrokerError as exc:
        print(f"cannot start the sandbox broker: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    print(
        f"sandbox broker listening on {broker.bootstrap} (in memory; Ctrl+C stops it)",
        file=sys.stderr,
        flush=True,
    )
    print(f"schema registry: {broker.registry_url}", file=sys.stderr, flush=True)
    process = broker.process
    assert process is not None  # started above
    try:
        while not stop["now"] and broker.running():
            try:
                process.wait(timeout=0.2)
            except Exception:  # noqa: BLE001 - TimeoutExpired: keep waiting
                pass
    finally:
        broker.stop()
    if not stop["now"]:
        print(
            f"the sandbox broker stopped by itself (exit code {process.returncode})",
            file=sys.stderr,
        )
        return EXIT_UNREACHABLE
    return EXIT_OK


def default_bootstrap() -> str | None:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None


if __name__ == "__main__":
    sys.exit(main())
