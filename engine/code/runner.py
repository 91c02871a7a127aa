"""Running a topology from the command line or an exported script: broker choice,
signals, exit codes and the metrics file (reference §9.2)."""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
from pathlib import Path

from engine.model.status import RunStatus
from engine.model.topology import Topology

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
EXIT_FAILED = 4


def cannot_write(path: str, exc: OSError) -> int:
    """Say that ``path`` could not be written, in one line; the usage exit code."""
    print(f"cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
    return EXIT_USAGE


def unwritable(path: str) -> str | None:
    """Why a file at ``path`` could not be written, as far as can be told without writing it."""
    target = Path(path)
    if target.is_dir():
        return f"cannot write {path}: it is a folder"
    folder = target.parent
    if not folder.is_dir():
        return f"cannot write {path}: there is no folder {folder}"
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return f"cannot write {path}: permission denied"
    return None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2, as argparse does, with our prog name
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``run`` and the ``main()`` of exported scripts."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--bootstrap",
        metavar="HOST:PORT",
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS, "
        "else the local sandbox broker)",
    )
    where.add_argument(
        "--sandbox", action="store_true", help="start and use the local sandbox broker"
    )
    parser.add_argument(
        "--application-id",
        "--group-id",
        dest="group_id",
        metavar="ID",
        help="the application id: its consumer group and the prefix of its internal topics "
        "(default: the topology name; --group-id is the same option)",
    )
    parser.add_argument(
        "--until-idle",
        type=float,
        metavar="SECONDS",
        help="stop after this many seconds with no input record",
    )
    parser.add_argument("--max-seconds", type=float, metavar="N", help="stop after N seconds")
    parser.add_argument("--metrics-out", metavar="PATH", help="write final metrics as JSON here")
    parser.add_argument(
        "--schema-registry",
        metavar="URL",
        help="schema registry of the avro, protobuf and json_schema formats (default: "
        "settings.schema_registry, else $SCHEMA_REGISTRY_URL, else the sandbox's)",
    )


def run_main(topology: Topology, argv: list[str] | None = None) -> int:
    """The ``main()`` of an exported script: the options of ``topology-studio run``."""
    from engine.model.validation import errors, validate

    parser = _Parser(
        prog=Path(sys.argv[0]).name or topology.name,
        description=f"Run the '{topology.name}' topology.",
    )
    add_run_options(parser)
    args = parser.parse_args(argv)
    bad = errors(validate(topology))
    if bad:
        for problem in bad:
            print(problem, file=sys.stderr)
        return EXIT_INVALID
    return run_with_options(topology, args)


def registry_url(topology: Topology, cli_url: str | None, broker=None) -> str | None:
    """The schema registry a run uses (reference §7.6): --schema-registry, else
    settings.schema_registry.url, else $SCHEMA_REGISTRY_URL, else the sandbox broker's own,
    when the run started one (``broker``)."""
    setting = topology.settings.get("schema_registry") or {}
    return (
        cli_url
        or (setting.get("url") if isinstance(setting, dict) else None)
        or os.environ.get("SCHEMA_REGISTRY_URL")
        or (broker.registry_url if broker is not None else None)
    )


def run_with_options(topology: Topology, args: argparse.Namespace) -> int:
    from engine.cluster.broker import BrokerError, SandboxBroker
    from engine.code.environment import client_config
    from engine.model.validation import registry_problems
    from engine.runtime.kafka.run import (
        BrokerUnreachableError,
        KafkaRun,
        RegistryUnreachableError,
        RunConfig,
        RunFailedError,
    )
    from engine.runtime.worker.memory import apply_memory_limit, out_of_memory_reason

    if args.metrics_out and (problem := unwritable(args.metrics_out)):
        print(f"--metrics-out: {problem}", file=sys.stderr)  # said now, not after a long run
        return EXIT_USAGE
    cli_registry = args.schema_registry
    if not args.sandbox and (
        bad := registry_problems(topology, registry_url(topology, cli_registry))
    ):
        # said before any broker starts; with --sandbox the sandbox's registry is the last resort
        for issue in bad:
            print(issue, file=sys.stderr)
        return EXIT_INVALID
    bootstrap = args.bootstrap
    if bootstrap is None and not args.sandbox:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None
    broker = None
    if bootstrap is None:
        try:
            broker = SandboxBroker().start()
        except BrokerError as exc:
            print(f"cannot start the sandbox broker: {exc}", file=sys.stderr)
            return EXIT_UNREACHABLE
        bootstrap = broker.bootstrap
        print(f"sandbox broker on {bootstrap}", file=sys.stderr)
        print(f"schema registry: {broker.registry_url}", file=sys.stderr)
    schema_registry = registry_url(topology, cli_registry, broker)
    if bad := registry_problems(topology, schema_registry):
        for issue in bad:
            print(issue, file=sys.stderr)
        if broker is not None:
            broker.stop()
        return EXIT_INVALID

    def on_status(status: str, reason: str) -> None:
        print(f"{status}{': ' + reason if reason else ''}", file=sys.stderr, flush=True)

    def console(node_id: str, text: str) -> None:
        print(f"[{node_id}] {text}", flush=True)

    from engine.runtime.watch.alert_observer import AlertObserver
    from engine.runtime.watch.publisher import RunPublisher

    alerts = AlertObserver(
        topology, bootstrap=bootstrap, log=lambda text: print(text, file=sys.stderr, flush=True)
    )
    # After the sandbox broker started (a child process would inherit the limit).
    memory_mb = apply_memory_limit(topology.settings)
    run = KafkaRun(
        topology,
        RunConfig(
            bootstrap=bootstrap,
            group_id=args.group_id,
            # credentials from the environment (deployments); the sandbox needs none
            client_config=client_config() if broker is None else {},
            console=console,
            on_status=on_status,
            observers=[RunPublisher(), alerts],
            schema_registry_url=schema_registry,
        ),
    )
    previous = {}

    def on_signal(signum, frame):
        run.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, on_signal)
    try:
        try:
            result = run.run(until_idle=args.until_idle, max_seconds=args.max_seconds)
        except RegistryUnreachableError as exc:
            print(
                f"{exc}\nCheck the address (--schema-registry, settings.schema_registry, "
                "$SCHEMA_REGISTRY_URL) and that the registry is up.",
                file=sys.stderr,
            )
            return EXIT_UNREACHABLE
        except BrokerUnreachableError as exc:
            print(
                f"{exc}\nCheck the address and that the brokers are up, or use --sandbox "
                "for the local sandbox broker.",
                file=sys.stderr,
            )
            return EXIT_UNREACHABLE
        except RunFailedError as exc:
            print(f"failed: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except MemoryError:
            print(f"failed: {out_of_memory_reason(memory_mb)}", file=sys.stderr)
            return EXIT_FAILED
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        alerts.close(5.0)
        if broker is not None:
            del run
            gc.collect()
            broker.stop()
    if args.metrics_out:
        metrics = {**result.metrics, "alerts": alerts.alerts()} if alerts.active else result.metrics
        try:
            Path(args.metrics_out).write_text(
                json.dumps(metrics, indent=2) + "\n", encoding="utf-8"
            )
        except OSError as exc:
            cannot_write(args.metrics_out, exc)
            return EXIT_FAILED
    if result.status == RunStatus.FAILED:
        print(f"failed: {result.reason}", file=sys.stderr)
        return EXIT_FAILED
    totals = result.metrics["nodes"]
    summary = ", ".join(f"{k} {v['out']}" for k, v in totals.items())
    print(
        f"stopped after {result.elapsed_s:.1f} s; records out per node: {summary}", file=sys.stderr
    )
    return EXIT_OK
