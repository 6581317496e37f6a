"""The demo's child processes: the shop simulator and a Celery worker, each in its own
process group, so that stopping one stops everything it started (the worker's pool too),
and so that Ctrl-C in the terminal reaches only the demo, which then stops them in order."""

import contextlib
import ctypes
import ctypes.util
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from prestashop_sim.testing import ProcessHandle, simulator_command

STOP_TIMEOUT = 15.0
PR_SET_PDEATHSIG = 1


def _parent_death_signal():
    """On Linux, a function that makes the calling process get SIGTERM when its parent dies,
    so the children go even if the demo itself is killed with SIGKILL; elsewhere None."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


# Loaded before any fork: the child must not import or load anything between fork and exec.
_DIE_WITH_PARENT = _parent_death_signal()


class DemoProcessError(Exception):
    """A child process did not start, or died."""


class Child:
    """A subprocess leading its own process group, with its output in a log file."""

    def __init__(self, name: str, command: list[str], *, log_path: Path, env: dict[str, str]):
        self.name, self.log_path = name, log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=settings.BASE_DIR,
                start_new_session=True,
                preexec_fn=_DIE_WITH_PARENT,  # safe: no other thread runs in the demo here
            )
        self.pid = self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the process's output, for error messages."""
        return self.log_path.read_text(errors="replace")[-chars:]

    def check_alive(self) -> None:
        """Raise DemoProcessError with the log's tail if the process has exited."""
        if not self.alive():
            raise DemoProcessError(
                f"The {self.name} exited with code {self.process.returncode}:\n{self.log_tail()}"
            )

    def wait_for_line(self, marker: str, *, timeout: float) -> str:
        """Wait until a log line contains the marker; returns that line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_path.read_text(errors="replace").splitlines():
                if marker in line:
                    return line
            self.check_alive()
            time.sleep(0.1)
        raise DemoProcessError(
            f"The {self.name} did not start in {timeout:.0f} s:\n{self.log_tail()}"
        )

    def stop(self, *, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM to the leader (a worker then stops its pool), SIGKILL to what is left."""
        if self.alive():
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        _signal_group(self.pid, signal.SIGKILL)  # pool children or a process that hung
        self.process.wait()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def child_env() -> dict[str, str]:
    """The environment of the demo's children: this process's database, broker and var dir."""
    database = Path(settings.DATABASES["default"]["NAME"]).resolve()
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "INVSYNC_VAR_DIR": str(settings.VAR_DIR),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "INVSYNC_REDIS_URL": settings.INVSYNC_REDIS_URL,
        "PYTHONUNBUFFERED": "1",
    }


@contextlib.contextmanager
def running_simulator(var_dir: Path, items: list[dict], *, seed: int) -> Iterator[tuple]:
    """The shop simulator with this catalogue on a free port: yields (Child, ProcessHandle)."""
    catalogue = var_dir / "shop-catalogue.json"
    catalogue.write_text(json.dumps(items))
    # No latency and no rate limit in the simulator: the integration's own limit paces it.
    command = simulator_command(port=0, seed=seed, catalogue_file=str(catalogue))
    child = Child("shop simulator", command, log_path=var_dir / "simulator.log", env=child_env())
    try:
        url = child.wait_for_line("URL ", timeout=60).split()[1]
        key = child.wait_for_line("KEY ", timeout=5).split()[1]
        handle = ProcessHandle(child.process, url, key)
        _wait_until_answering(handle, child)
        yield child, handle
    finally:
        child.stop()


def _wait_until_answering(handle: ProcessHandle, child: Child, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            handle.counters()
            return
        except OSError:  # requests' errors are OSErrors
            child.check_alive()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def worker_command(*, concurrency: int, pool: str) -> list[str]:
    """The Celery worker the demo runs: the integrations queue, as in production."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "invsync",
        "worker",
        "-Q",
        "integrations",
        "-c",
        str(concurrency),
        "--pool",
        pool,
        "-l",
        "info",
        "-n",
        f"demo-{uuid.uuid4().hex[:6]}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        # The file broker is polled (no push): with more messages reserved, a process that
        # finishes a chunk starts the next at once instead of at the next poll.
        "--prefetch-multiplier",
        "4",
    ]


@contextlib.contextmanager
def running_worker(var_dir: Path, *, concurrency: int, pool: str) -> Iterator[Child]:
    """A Celery worker on the demo's database and broker; call wait_for_line(" ready.") before
    relying on it (it boots while the demo loads its data)."""
    child = Child(
        "Celery worker",
        worker_command(concurrency=concurrency, pool=pool),
        log_path=var_dir / "worker.log",
        env=child_env(),
    )
    try:
        yield child
    finally:
        child.stop()
