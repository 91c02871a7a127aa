"""What each platform is given to run N instances of one topology: the Containerfile, the
Kubernetes StatefulSet (with its headless Service and a Secret to fill in), the compose file
and the systemd template unit, with the environment file they read.

Every instance runs ``topology-studio run topology.json``. They share the input partitions
through the consumer group named after the topology (reference §7.1) and publish their state to
``<application id>-metrics`` (§12), so ``topology-studio status`` and the app's Attach see them
as any run. Each is given its own instance slot (the pod's ordinal, the compose service's
number, the systemd instance) and its own state folder."""

from __future__ import annotations

from engine import __version__
from engine.code import environment as env
from engine.code.deploy.names import DeployNames
from engine.code.deploy.yaml_text import dump

STATE_MOUNT = "/var/lib/topology-studio"
RUN = ["topology-studio", "run", "topology.json"]
USER_ID = 10001
# The variables of the Secret / environment file, with what to put in them.
SETTINGS = {
    env.BOOTSTRAP: "broker-1.example.com:9092,broker-2.example.com:9092",
    env.SCHEMA_REGISTRY: "",
    "KAFKA_SECURITY_PROTOCOL": "",
    "KAFKA_SASL_MECHANISM": "",
    "KAFKA_SASL_USERNAME": "",
    "KAFKA_SASL_PASSWORD": "",
}
# The process is PID 1 of its container; it is alive while it is running or waiting, not
# when stopped or a zombie. A broker that went away is the run's to ride out (it says
# "disconnected" and retries), so the probe does not ask the cluster.
LIVENESS = "grep -Eq '^State:[[:space:]]+[RSDI]' /proc/1/status"


def containerfile(wheel: str | None) -> str:
    wheel_copy = "COPY wheels/ ./wheels/\n" if wheel else ""
    return (
        f"# topology-studio {__version__}: one instance of the topology; the platform starts\n"
        "# as many as it is told (the Kubernetes StatefulSet's replicas, the compose services).\n"
        "FROM python:3.11-slim\n"
        f"RUN useradd --create-home --uid {USER_ID} --user-group topology \\\n"
        f" && mkdir -p {STATE_MOUNT} && chown {USER_ID}:{USER_ID} {STATE_MOUNT}\n"
        "WORKDIR /app\n"
        "COPY requirements.lock ./\n"
        f"{wheel_copy}"
        "RUN pip install --no-cache-dir --no-deps -r requirements.lock\n"
        "COPY topology.json ./\n"
        f"ENV {env.STATE_DIR}={STATE_MOUNT} PYTHONUNBUFFERED=1\n"
        f"USER {USER_ID}\n"
        f"VOLUME {STATE_MOUNT}\n"
        f"CMD {_json_list(RUN)}\n"
    )


def _json_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def env_file(names: DeployNames) -> str:
    lines = [
        f"# Where {names.application_id} finds its cluster; read by every instance. Keep this",
        "# file private (mode 600): it holds the cluster's password. Empty lines count as unset.",
    ]
    lines += [f"{name}={value}" for name, value in SETTINGS.items()]
    return "\n".join(lines) + "\n"


# -- Kubernetes ------------------------------------------------------------------------------


def _labels(names: DeployNames) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": names.name,
        "app.kubernetes.io/part-of": "topology-studio",
    }


def _annotations(names: DeployNames) -> dict[str, str]:
    return {"topology-studio/application-id": names.application_id}


def statefulset(names: DeployNames, instances: int) -> dict:
    # The pod's ordinal (the suffix of its name, "<set>-<n>") is its instance slot.
    command = f'export {env.INSTANCE_SLOT}="${{POD_NAME##*-}}" && exec ' + " ".join(RUN)
    container = {
        "name": "topology",
        "image": names.image(__version__),
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", "-c", command],
        "env": [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": env.STATE_DIR, "value": STATE_MOUNT},
        ],
        "envFrom": [{"secretRef": {"name": names.secret}}],
        "volumeMounts": [{"name": "state", "mountPath": STATE_MOUNT}],
        "livenessProbe": {
            "exec": {"command": ["/bin/sh", "-c", LIVENESS]},
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": names.name,
            "labels": _labels(names),
            "annotations": _annotations(names),
        },
        "spec": {
            "serviceName": names.name,
            "replicas": instances,
            # Instances are peers in one consumer group: start and stop them together.
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": _labels(names)},
            "template": {
                "metadata": {"labels": _labels(names), "annotations": _annotations(names)},
                "spec": {
                    # SIGTERM: the run flushes and commits (up to 5 s for acknowledgements).
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": USER_ID,
                        "runAsGroup": USER_ID,
                        "fsGroup": USER_ID,
                    },
                    "containers": [container],
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "state"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
        },
    }


def service(names: DeployNames) -> dict:
    """The headless Service a StatefulSet is governed by (it gives each pod a stable name)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": names.name, "labels": _labels(names)},
        "spec": {"clusterIP": "None", "selector": _labels(names)},
    }


def secret(names: DeployNames) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": names.secret, "labels": _labels(names)},
        "type": "Opaque",
        "stringData": dict(SETTINGS),
    }


def kubernetes_files(names: DeployNames, instances: int) -> dict[str, str]:
    head = "# Fill in kubernetes/secret.yaml, then: kubectl apply -f kubernetes/\n"
    return {
        "kubernetes/statefulset.yaml": head + dump(statefulset(names, instances)),
        "kubernetes/service.yaml": head + dump(service(names)),
        "kubernetes/secret.yaml": "# The cluster's address and credentials; keep it out of "
        "version control.\n" + dump(secret(names)),
    }


# -- compose ---------------------------------------------------------------------------------


def compose(names: DeployNames, instances: int) -> dict:
    services = {}
    for number in range(instances):
        services[names.service(number)] = {
            "image": names.image(__version__),
            "build": {"context": ".", "dockerfile": "Containerfile"},
            "command": RUN,
            "env_file": ["kafka.env"],
            "environment": {env.INSTANCE_SLOT: str(number), env.STATE_DIR: STATE_MOUNT},
            "volumes": [f"state-{number}:{STATE_MOUNT}"],
            "restart": "unless-stopped",
            "stop_grace_period": "30s",
        }
    return {
        "name": names.name,
        "services": services,
        "volumes": {f"state-{number}": {} for number in range(instances)},
    }


# -- systemd ---------------------------------------------------------------------------------


def install_dir(names: DeployNames) -> str:
    return f"/opt/topology-studio/{names.name}"


def env_path(names: DeployNames) -> str:
    return f"/etc/topology-studio/{names.name}.env"


def systemd_unit(names: DeployNames) -> str:
    home = install_dir(names)
    return (
        "[Unit]\n"
        f"Description=Topology Studio: {names.name}, instance %i\n"
        f"Documentation=file:{home}/README.md\n"
        "After=network-online.target\n"
        "Wants=network-online.target\n"
        "\n"
        "[Service]\n"
        "Type=exec\n"
        "DynamicUser=yes\n"
        f"StateDirectory=topology-studio/{names.name}/%i\n"
        f"EnvironmentFile={env_path(names)}\n"
        f"Environment={env.INSTANCE_SLOT}=%i\n"
        f"Environment={env.STATE_DIR}=%S/topology-studio/{names.name}/%i\n"
        f"WorkingDirectory={home}\n"
        f"ExecStart={home}/venv/bin/{' '.join(RUN)}\n"
        "Restart=on-failure\n"
        "RestartSec=5\n"
        "TimeoutStopSec=30\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )
