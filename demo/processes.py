"""Child processes (the shop simulator, Celery workers) for the demo and the tests: each
leads its own process group, so that stopping one stops everything it started (a worker's
pool too), with its output in a log file."""

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

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


class ChildFailed(Exception):
    """A child process did not start, or died."""


class Child:
    """A subprocess leading its own process group, with its output in a log file.

    ``die_with_parent`` runs Python between fork and exec, which is safe only while no other
    thread runs in this process (true in the demo, not in a test with a simulator thread).
    """

    def __init__(
        self,
        name: str,
        command: list[str],
        *,
        log_path: Path,
        env: dict[str, str],
        die_with_parent: bool = True,
    ):
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
                preexec_fn=_DIE_WITH_PARENT if die_with_parent else None,
            )
        self.pid = self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the process's output, for error messages."""
        return self.log_path.read_text(errors="replace")[-chars:]

    def check_alive(self) -> None:
        """Raise ChildFailed with the log's tail if the process has exited."""
        if not self.alive():
            raise ChildFailed(
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
        raise ChildFailed(f"The {self.name} did not start in {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, *, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> None:
        """``signum`` to the leader (SIGTERM: a worker stops its pool after its tasks, SIGQUIT:
        at once), then SIGKILL to whatever is left of the group."""
        if self.alive():
            self.process.send_signal(signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        _signal_group(self.pid, signal.SIGKILL)  # pool children or a process that hung
        self.process.wait()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


BOTH_QUEUES = ("integrations_live", "integrations")


def worker_command(
    *, name: str, concurrency: int, pool: str, queues: tuple[str, ...] = BOTH_QUEUES
) -> list[str]:
    """A Celery worker on the live queue then the bulk one (or on ``queues``), as in
    production."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "invsync",
        "worker",
        "-Q",
        ",".join(queues),
        "-c",
        str(concurrency),
        "--pool",
        pool,
        "-l",
        "info",
        "-n",
        name,
        "--without-gossip",
        "--without-mingle",
    ]
