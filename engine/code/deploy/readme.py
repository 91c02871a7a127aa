"""The bundle's own README: how to start, scale, watch and stop the deployed instances, for the
one platform the bundle was written for."""

from __future__ import annotations

import shlex

from engine import __version__
from engine.code.deploy import platforms
from engine.code.deploy.names import DeployNames


def _watch(names: DeployNames, instances: int) -> str:
    app = names.application_id
    quoted = shlex.quote(app)
    return f"""## Watch

Every instance publishes its state once a second to the topic `{app}-metrics` (its topology to
`{app}-topology`). From any machine that reaches the cluster:

    topology-studio status {quoted} --bootstrap BROKER:9092
    topology-studio status {quoted} --bootstrap BROKER:9092 --json

lists the instances (alive, the partitions each holds), the records per node summed over them,
and the lag. In the app, connect to the same cluster and choose **Run → Attach to Running
Application…**, then `{app}`: the topology is shown read-only (or over the open document when it
is the same topology) with live rates summed over the instances and an instances panel.

When the input topics have fewer partitions than there are instances ({instances} here), the
extra instances wait idle until a partition frees up: the partitions, not the instances, bound
how far one application spreads.
"""


def readme(names: DeployNames, target: str, instances: int, files: list[str]) -> str:
    body = {"kubernetes": _kubernetes, "compose": _compose, "systemd": _systemd}[target](
        names, instances
    )
    listing = "\n".join(f"- `{name}`" for name in files)
    return f"""# {names.application_id}: {instances} instance(s) on {target}

Written by `topology-studio deploy` ({__version__}). Each instance runs
`topology-studio run topology.json`; together they are one application, `{names.application_id}`
(its consumer group and the prefix of its internal topics), sharing the input partitions. Each
has its own instance slot and its own folder for state.

{listing}

`requirements.lock` holds the exact versions to install (`pip install --no-deps -r
requirements.lock`, from this folder): the engine's dependencies as installed where this bundle
was written, and the project itself.

{body}
{_watch(names, instances)}"""


def _kubernetes(names: DeployNames, instances: int) -> str:
    image = names.image(__version__)
    return f"""## Start

1. Build the image and push it where the cluster pulls from:

       podman build -t REGISTRY/{image} -f Containerfile .    # or docker build
       podman push REGISTRY/{image}

   and set that name as `image:` in `kubernetes/statefulset.yaml`.
2. Fill in `kubernetes/secret.yaml` (bootstrap servers, schema registry, credentials; blanks
   are unset) and apply everything:

       kubectl apply -f kubernetes/

The StatefulSet `{names.name}` starts {instances} pod(s), `{names.name}-0` … Each pod's ordinal
is its instance slot (`TOPOLOGY_STUDIO_INSTANCE_SLOT`), and each has its own volume
(`state-{names.name}-N`, 1 GiB) for on-disk state and its slot's lock. The liveness probe
checks that the run's process is alive.

## Scale

    kubectl scale statefulset {names.name} --replicas=N

## Stop

    kubectl scale statefulset {names.name} --replicas=0      # stop, keep the volumes
    kubectl delete -f kubernetes/                            # remove; volumes stay until
    kubectl delete pvc -l app.kubernetes.io/name={names.name} # you delete them too

A stopping pod gets SIGTERM: the run flushes and commits before it exits.
"""


def _compose(names: DeployNames, instances: int) -> str:
    return f"""## Start

Fill in `kafka.env` (bootstrap servers, schema registry, credentials; blanks are unset), then:

    docker compose up -d --build       # or: podman compose up -d --build

starts {instances} service(s), `{names.service(0)}` …, each with its own instance slot and
its own volume (`state-N`).

## Scale

Each instance needs its own slot and volume, so write the bundle again with another count and
start it: `topology-studio deploy FILE --target compose --instances N -o NEW_FOLDER`, then
`docker compose up -d --build --remove-orphans` there.

## Stop

    docker compose stop      # stop; start again with docker compose start
    docker compose down      # remove the containers; add -v to remove the state volumes too

A stopping container gets SIGTERM: the run flushes and commits before it exits.
"""


def _systemd(names: DeployNames, instances: int) -> str:
    home = platforms.install_dir(names)
    env = platforms.env_path(names)
    unit = names.unit
    base = unit.removesuffix("@.service")
    numbers = " ".join(f"{base}@{n}" for n in range(instances))
    return f"""## Start

On each machine (Python 3.11 or later), as root, from this folder:

    mkdir -p {home} /etc/topology-studio
    cp -r topology.json requirements.lock wheels README.md {home}/   # wheels/ if present
    python3 -m venv {home}/venv
    (cd {home} && {home}/venv/bin/pip install --no-deps -r requirements.lock)
    install -m 600 kafka.env {env}       # then fill it in
    cp {unit} /etc/systemd/system/
    systemctl daemon-reload
    systemctl enable --now {numbers}

`{unit}` is a template: `{base}@N` is instance N, run as
`{home}/venv/bin/topology-studio run topology.json` with `TOPOLOGY_STUDIO_INSTANCE_SLOT=N` and
its own state folder (`/var/lib/topology-studio/{names.name}/N`). Instances on different
machines need different numbers: give each machine its own.

## Scale

    systemctl enable --now {base}@{instances}      # one more (numbers unique across machines)
    systemctl disable --now {base}@{instances}     # one fewer

## Stop

    systemctl stop '{base}@*'
    journalctl -u '{base}@*' -f                    # the runs' own lines

A stopping instance gets SIGTERM: the run flushes and commits before it exits.
"""
