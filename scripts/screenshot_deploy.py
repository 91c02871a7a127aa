"""Render the app attached to a deployed set (docs/screenshot-deployed.png).

    QT_QPA_PLATFORM=offscreen python scripts/screenshot_deploy.py [-o PNG] [--seconds 14]

Writes the demo's systemd bundle with ``topology-studio deploy`` (two instances), starts both
as its template unit says (ExecStart with Environment and EnvironmentFile, instance numbers 0
and 1; this checkout's command instead of the installed one) against the app's sandbox broker,
attaches the window to the application and grabs it. The instances are stopped afterwards.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from scripts.shot import demo_window, wait

DEMO = ROOT / "resources" / "demo" / "ecommerce.topology.json"


def unit_command(folder: Path, unit: str, number: int, bootstrap: str, state: Path):
    """argv and environment of instance ``number`` of the bundle's template unit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for line in (folder / "kafka.env").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    argv: list[str] = []
    for line in (folder / unit).read_text(encoding="utf-8").splitlines():
        line = line.replace("%i", str(number)).replace("%S", str(state))
        key, _, value = line.partition("=")
        if key == "Environment":
            name, _, setting = value.partition("=")
            env[name] = setting
        elif key == "ExecStart":
            argv = [sys.executable, "-m", "gui.launcher", *shlex.split(value)[1:]]
    return argv, env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "screenshot-deployed.png"))
    parser.add_argument("--seconds", type=float, default=14.0)
    parser.add_argument("--size", default="1800x1000")
    args = parser.parse_args(argv)

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from engine.code.deploy import write_bundle
    from engine.model import fileformat

    tmp = Path(tempfile.mkdtemp(prefix="topology-studio-deploy-shot-"))
    bundle = write_bundle(fileformat.load(DEMO), "systemd", 2, tmp / "bundle", wheel=False)
    app, window = demo_window(args.size)
    window.start_sandbox_broker()
    window.show()
    controller = window.monitor.controller
    wait(app, lambda: controller.bootstrap() is not None, 20)
    bootstrap = controller.bootstrap()
    procs = []
    for number in (0, 1):
        command, env = unit_command(bundle.folder, bundle.names.unit, number, bootstrap, tmp)
        procs.append(
            subprocess.Popen(
                command,
                cwd=bundle.folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        wait(app, lambda: False, 6)
        window.fleet.attach(bundle.names.application_id)
        wait(app, lambda: False, args.seconds)
        window.central.set_dashboard_visible(False)
        for dock in (window.throughput_dock, window.lag_dock, window.fleet.dock):
            dock.raise_()
        window.resizeDocks(
            [window.validation_dock, window.throughput_dock, window.lag_dock],
            [720, 440, 640],
            Qt.Orientation.Horizontal,
        )
        window.resizeDocks([window.validation_dock], [300], Qt.Orientation.Vertical)
        wait(app, lambda: False, 0.3)
        window.view.fit()
        wait(app, lambda: False, 1.5)
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        print(f"wrote {out}; instances: {window.fleet.instances.rows()}")
    finally:
        window.fleet.detach()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    window.document.undo_stack.setClean()
    window.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
