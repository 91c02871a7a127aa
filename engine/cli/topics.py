"""``topology-studio topic read | produce`` and ``topology-studio offsets`` (reference §9.10,
§9.11): the data of a cluster's topics and consumer groups, with ``engine.cluster.topics``
doing the work."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import IO

from engine.code.runner import EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, cannot_write

FORMAT_CHOICES = ("auto", "string", "json", "bytes", "avro", "protobuf", "json_schema")


def _common(parser: argparse.ArgumentParser, registry: bool = True) -> None:
    parser.add_argument(
        "--bootstrap",
        metavar="HOST:PORT",
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS, else localhost:9092)",
    )
    if registry:
        parser.add_argument(
            "--schema-registry",
            metavar="URL",
            help="the schema registry (default: the --topology's, else $SCHEMA_REGISTRY_URL)",
        )
        parser.add_argument(
            "--topology",
            metavar="FILE",
            help="a topology file: the formats of its source reading the topic, its masking "
            "rules and its schema registry",
        )


def _formats(parser: argparse.ArgumentParser, what: str) -> None:
    for part in ("key", "value"):
        parser.add_argument(
            f"--{part}-format",
            choices=FORMAT_CHOICES,
            metavar="FORMAT",
            help=f"the {part}'s format ({', '.join(FORMAT_CHOICES)}); default: {what}",
        )


def add_parsers(sub) -> None:
    topic = sub.add_parser("topic", help="read records of a topic, or produce records to it")
    actions = topic.add_subparsers(dest="topic_command", metavar="ACTION", parser_class=type(topic))
    read = actions.add_parser("read", help="records of a topic, filtered, as NDJSON or CSV")
    read.add_argument("topic", metavar="TOPIC")
    read.add_argument(
        "--from",
        dest="start",
        default="earliest",
        metavar="POSITION",
        help="earliest (default), latest, an offset, or a time (ISO 8601 or epoch ms)",
    )
    read.add_argument("--partition", type=int, metavar="P", help="only this partition")
    read.add_argument("--filter", metavar="EXPR", help="an expression over key, value, ...")
    read.add_argument("--limit", type=int, metavar="N", help="stop after N matching records")
    read.add_argument("--format", choices=("ndjson", "csv"), default="ndjson")
    read.add_argument("-o", "--output", metavar="FILE", help="write there instead of stdout")
    _formats(read, "the --topology's source, else detected per record")
    _common(read)

    produce = actions.add_parser("produce", help="write NDJSON records to a topic")
    produce.add_argument("topic", metavar="TOPIC")
    produce.add_argument("-i", "--input", metavar="FILE.ndjson", help="default: stdin")
    _formats(produce, "the line's own key_format/value_format, else text or JSON")
    for part in ("key", "value"):
        produce.add_argument(
            f"--{part}-schema",
            metavar="subject:NAME",
            help=f"the registered schema of schema-format {part}s (default: the latest of "
            f"<topic>-{part})",
        )
    _common(produce)

    offsets = sub.add_parser("offsets", help="reset a consumer group's offsets")
    offsets.add_argument("group", metavar="GROUP")
    offsets.add_argument(
        "--reset-to",
        required=True,
        metavar="POSITION",
        help="earliest, latest, an offset, or a time (ISO 8601 or epoch ms)",
    )
    offsets.add_argument("--topic", metavar="T", help="only this topic's partitions")
    offsets.add_argument("--dry-run", action="store_true", help="show the reset, apply nothing")
    offsets.add_argument("--json", action="store_true", help="print the plan as JSON")
    _common(offsets, registry=False)


# -- shared -----------------------------------------------------------------------------


def _bootstrap(args) -> str:
    return args.bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "localhost:9092"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _load_topology(path: str | None):
    """The topology named by --topology (None when not given); ValueError with a sentence."""
    if path is None:
        return None
    from engine.model import fileformat
    from engine.model.problems import ERROR

    topology, problems = fileformat.read(path)
    bad = [p for p in problems if p.severity == ERROR]
    if bad:
        raise ValueError(f"--topology {path}: {bad[0]}")
    return topology


def _source_formats(topology, topic: str) -> dict[str, str]:
    """The key and value formats of the topology's first source reading ``topic``."""
    if topology is None:
        return {}
    from engine.model.catalogue import node_type

    for node in topology.nodes.values():
        if node.type == "kafka_source" and node.params.get("topic") == topic:
            spec = node_type("kafka_source")
            defaults = {p.name: p.default for p in spec.params} if spec else {}
            return {
                "key": node.params.get("key_format") or defaults.get("key_format") or "string",
                "value": node.params.get("value_format") or defaults.get("value_format") or "json",
            }
    return {}


def _registry(args, topology):
    """The schema registry as ``run`` finds it: --schema-registry, else the --topology's
    ``settings.schema_registry`` (with its credentials), else ``SCHEMA_REGISTRY_URL``; None when
    none is named."""
    from engine.cluster.topics.formats import registry_for

    if args.schema_registry:
        return registry_for(args.schema_registry)
    return registry_for(None, topology.settings.get("schema_registry") if topology else None)


# -- topic read ---------------------------------------------------------------------------


def cmd_topic(args) -> int:
    if args.topic_command == "read":
        return cmd_read(args)
    if args.topic_command == "produce":
        return cmd_produce(args)
    _say("topology-studio topic: say read or produce, e.g. topology-studio topic read orders")
    return EXIT_USAGE


def cmd_read(args) -> int:
    from engine.cluster.admin import ConnectionProblem
    from engine.cluster.topics.output import RecordWriter
    from engine.cluster.topics.positions import PositionError, parse_start
    from engine.cluster.topics.reader import ScanError, ScanRequest, TopicReader, TopicScan
    from engine.model.masking import rules_from_settings

    bootstrap = _bootstrap(args)
    try:
        start = parse_start(args.start)
        topology = _load_topology(args.topology)
        registry = _registry(args, topology)
    except (PositionError, ValueError) as exc:
        _say(f"topology-studio topic read: {exc}")
        return EXIT_USAGE
    formats = _source_formats(topology, args.topic)
    reader = TopicReader(
        bootstrap,
        registry=registry,
        masking=rules_from_settings(topology.settings) if topology is not None else [],
    )
    request = ScanRequest(
        args.topic,
        start,
        partitions=None if args.partition is None else [args.partition],
        filter=args.filter,
        limit=args.limit,
        key_format=args.key_format or formats.get("key", "auto"),
        value_format=args.value_format or formats.get("value", "auto"),
    )
    try:
        scan = TopicScan(
            reader, request, on_progress=_progress_line() if sys.stderr.isatty() else None
        )
    except ScanError as exc:
        _say(f"topology-studio topic read: {exc}")
        return EXIT_USAGE
    stream: IO[str]
    with contextlib.ExitStack() as stack:
        if args.output:
            try:
                stream = stack.enter_context(open(args.output, "w", encoding="utf-8", newline=""))
            except OSError as exc:
                return cannot_write(args.output, exc)
        else:
            stream = sys.stdout
        writer = RecordWriter(stream, args.format)
        try:
            for page in scan.pages():
                writer.write(page)
                stream.flush()
        except ConnectionProblem as exc:
            _say(f"cannot reach Kafka at {bootstrap}: {exc}")
            return EXIT_UNREACHABLE
        except ScanError as exc:
            _say(f"topology-studio topic read: {exc}")
            return EXIT_USAGE if scan.progress.scanned == 0 else EXIT_FAILED
        except KeyboardInterrupt:
            _say(f"interrupted: {writer.count} records written")
            return EXIT_OK
        except OSError as exc:
            return cannot_write(args.output or "stdout", exc)
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    for notice in scan.notices:
        _say(notice)
    progress = scan.progress
    where = f" to {args.output}" if args.output else ""
    _say(
        f"{args.topic} from {start.describe()}: scanned {progress.scanned} of {progress.total} "
        f"records, wrote {writer.count}{where}"
    )
    return EXIT_OK


def _progress_line():
    """A progress callback that rewrites one line of a terminal, at most twice a second."""
    import time

    last = [0.0]

    def show(progress) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 and not progress.done:
            last[0] = now
            share = progress.scanned / progress.total * 100 if progress.total else 100.0
            print(
                f"\rscanned {progress.scanned:,} of {progress.total:,} records ({share:.0f} %), "
                f"{progress.matched:,} matched",
                end="",
                file=sys.stderr,
                flush=True,
            )

    return show


# -- topic produce ------------------------------------------------------------------------


def cmd_produce(args) -> int:
    from engine.cluster.admin import ConnectionProblem
    from engine.cluster.topics.formats import FormatError
    from engine.cluster.topics.producer import (
        ProduceError,
        RecordEncoder,
        TopicProducer,
        read_lines,
    )

    bootstrap = _bootstrap(args)
    try:
        topology = _load_topology(args.topology)
        registry = _registry(args, topology)
    except ValueError as exc:
        _say(f"topology-studio topic produce: {exc}")
        return EXIT_USAGE
    formats = _source_formats(topology, args.topic)
    encoder = RecordEncoder(
        args.topic,
        args.key_format or formats.get("key"),
        args.value_format or formats.get("value"),
        registry,
        key_schema=args.key_schema,
        value_schema=args.value_schema,
    )
    producer = TopicProducer(bootstrap, args.topic)
    try:
        producer.check_reachable()
    except ConnectionProblem as exc:
        _say(f"cannot reach Kafka at {bootstrap}: {exc}")
        return EXIT_UNREACHABLE
    source = args.input or "stdin"
    try:
        if args.input:
            with open(args.input, "rb") as handle:
                records = read_lines(handle, encoder, source)
        else:
            records = read_lines(sys.stdin.buffer, encoder, source)
    except OSError as exc:
        _say(f"cannot read {source}: {exc.strerror or exc}")
        return EXIT_USAGE
    except ProduceError as exc:
        _say(str(exc))
        n = len(exc.problems)
        _say(f"nothing was written to {args.topic}: {n} line{'s' * (n != 1)} cannot be produced")
        return EXIT_USAGE
    except FormatError as exc:
        _say(f"topology-studio topic produce: {exc}")
        return EXIT_USAGE
    if encoder.guessed["value"] and registry is not None:
        _warn_unformatted(registry, args.topic, encoder.guessed["value"])
    result = producer.send(records)
    for problem in result.failed[:20]:
        _say(f"{source}: {problem}")
    if result.failed:
        _say(
            f"wrote {result.sent} of {len(records)} records to {args.topic}; "
            f"{len(records) - result.sent} were not written"
        )
        return EXIT_FAILED
    _say(f"wrote {result.sent} record{'s' * (result.sent != 1)} to {args.topic}")
    return EXIT_OK


def _warn_unformatted(registry, topic: str, n: int) -> None:
    """Values about to be written as JSON or text to a topic whose values have a registered
    schema: its consumers most likely read the wire format; said, not refused."""
    from engine.runtime.schemas.examples import describe_registered, latest_registered

    try:  # the subject's latest version alone: no example is built to say this
        registered = latest_registered(registry, topic, "value")
    except Exception:  # noqa: BLE001 - a registry that does not answer: nothing to say
        return
    if registered is None:
        return
    latest, fmt = registered
    schema = describe_registered(fmt, f"{topic}-value", latest.version)
    _say(
        f"note: {n} value{'s' * (n != 1)} name{'s' * (n == 1)} no format and "
        f"{'are' if n != 1 else 'is'} written as JSON or text, but {topic} has a registered "
        f"schema ({schema}): its consumers may not read "
        f'{"them" if n != 1 else "it"}; write "value_format": "{fmt}" in the line, '
        f"or --value-format {fmt}"
    )


# -- offsets ------------------------------------------------------------------------------


def cmd_offsets(args) -> int:
    import json

    from engine.cluster.admin import ConnectionProblem
    from engine.cluster.topics.offsets import OffsetResetter, ResetError
    from engine.cluster.topics.positions import PositionError, parse_start
    from engine.cluster.topics.reader import ScanError, TopicReader

    bootstrap = _bootstrap(args)
    try:
        to = parse_start(args.reset_to)
    except PositionError as exc:
        _say(f"topology-studio offsets: {exc}")
        return EXIT_USAGE
    resetter = OffsetResetter(TopicReader(bootstrap))
    try:
        plan = resetter.plan(args.group, to, args.topic)
    except ConnectionProblem as exc:
        _say(f"cannot reach Kafka at {bootstrap}: {exc}")
        return EXIT_UNREACHABLE
    except (ResetError, ScanError) as exc:
        _say(f"topology-studio offsets: {exc}")
        return EXIT_USAGE
    if args.json:
        print(
            json.dumps(
                {
                    "group": plan.group,
                    "state": plan.state,
                    "reset_to": to.describe(),
                    "applied": False,
                    "partitions": [r.as_dict() for r in plan.partitions],
                },
                indent=2,
            )
        )
    else:
        print(render(plan, to.describe()))
    for note in plan.notes:
        _say(note)
    if args.dry_run:
        _say("dry run: nothing was changed")
        return EXIT_OK
    try:
        resetter.apply(plan)
    except ConnectionProblem as exc:
        _say(f"cannot reach Kafka at {bootstrap}: {exc}")
        return EXIT_UNREACHABLE
    except ResetError as exc:
        _say(f"topology-studio offsets: {exc}")
        return EXIT_FAILED
    _say(f"reset {len(plan.partitions)} partitions of the group '{plan.group}'")
    return EXIT_OK


def render(plan, to: str) -> str:
    lines = [f"group {plan.group} ({plan.state.lower()}): reset to {to}"]
    width = max([len(r.topic) for r in plan.partitions] + [5])
    lines.append(f"  {'topic':<{width}}  part  {'current':>10}     {'new':>10}  effect")
    for r in plan.partitions:
        current = "-" if r.current is None else str(r.current)
        if r.replayed:
            effect = f"{r.replayed} replayed"
        elif r.skipped:
            effect = f"{r.skipped} skipped"
        elif r.current is None:
            effect = "no committed offset yet"
        else:
            effect = "unchanged"
        lines.append(
            f"  {r.topic:<{width}}  {r.partition:>4}  {current:>10}  →  {r.new:>10}  {effect}"
        )
    replayed = sum(r.replayed for r in plan.partitions)
    skipped = sum(r.skipped for r in plan.partitions)
    lines.append(f"  total: {replayed} replayed, {skipped} skipped")
    return "\n".join(lines)
