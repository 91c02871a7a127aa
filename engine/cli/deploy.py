"""``topology-studio deploy FILE --target kubernetes|compose|systemd``: what runs a topology as
N instances on its users' platforms (reference §9.11; the bundle is ``engine.code.deploy``)."""

from __future__ import annotations

import argparse
import sys

from engine.code.runner import EXIT_INVALID, EXIT_OK, EXIT_USAGE


def _instances(text: str) -> int:
    from engine.code.deploy import MAX_INSTANCES

    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_INSTANCES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of instances (1-{MAX_INSTANCES})"
        )
    return number


def add_parser(sub) -> None:
    from engine.code.deploy import TARGETS

    deploy = sub.add_parser(
        "deploy", help="write what runs a topology as N instances on Kubernetes, compose or systemd"
    )
    deploy.add_argument("file", metavar="FILE")
    deploy.add_argument("--target", required=True, choices=TARGETS, help="the platform")
    deploy.add_argument(
        "--instances",
        type=_instances,
        default=2,
        metavar="N",
        help="how many instances share the work (default: 2)",
    )
    deploy.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="the folder to write, new or empty (default: <name>-<target>)",
    )


def cmd_deploy(args: argparse.Namespace) -> int:
    from engine.cli import _load_valid
    from engine.code.deploy import DeployError, default_folder, write_bundle

    topology = _load_valid(args.file)
    if topology is None:
        return EXIT_INVALID
    folder = args.output or default_folder(topology, args.target)
    try:
        bundle = write_bundle(topology, args.target, args.instances, folder)
    except DeployError as exc:
        print(f"cannot deploy: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for warning in bundle.warnings:
        print(f"note: {warning}", file=sys.stderr)
    print(
        f"wrote {bundle.folder}/ ({args.target}, {bundle.instances} instances): "
        + ", ".join(bundle.files),
        file=sys.stderr,
    )
    print(f"next: see {bundle.folder / 'README.md'}", file=sys.stderr)
    return EXIT_OK
