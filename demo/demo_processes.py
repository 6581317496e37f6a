"""The demo's child processes: the shop simulator and a Celery worker, each in its own
process group, so that stopping one stops everything it started (the worker's pool too),
and so that Ctrl-C in the terminal reaches only the demo, which then stops them in order."""

import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from demo.processes import Child, worker_command
from prestashop_sim.testing import ProcessHandle, simulator_command


def child_env() -> dict[str, str]:
    """The environment of the demo's children: this process's database, broker and var dir."""
    database = Path(settings.DATABASES["default"]["NAME"]).resolve()
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "INVSYNC_VAR_DIR": str(settings.VAR_DIR),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "INVSYNC_REDIS_URL": settings.INVSYNC_REDIS_URL,
        # One machine, one simulator: its workers may keep a limiter per process.
        "INVSYNC_ALLOW_UNSHARED_LIMITER": "1",
        "PYTHONUNBUFFERED": "1",
    }


@contextlib.contextmanager
def running_simulator(var_dir: Path, items: list[dict], *, seed: int) -> Iterator[tuple]:
    """The shop simulator with this catalogue on a free port: yields (Child, ProcessHandle)."""
    catalogue = var_dir / "shop-catalogue.json"
    catalogue.write_text(json.dumps(items))
    with serving_simulator(var_dir, catalogue, seed=seed) as running:
        yield running


@contextlib.contextmanager
def serving_simulator(
    var_dir: Path,
    catalogue: Path,
    *,
    seed: int,
    port: int = 0,
    key: str | None = None,
    log_name: str = "simulator.log",
) -> Iterator[tuple]:
    """The shop simulator serving a catalogue file (port 0: a free one); yields (Child,
    ProcessHandle)."""
    # No latency and no rate limit in the simulator: the integration's own limit paces it.
    command = simulator_command(port=port, seed=seed, catalogue_file=str(catalogue), key=key)
    child = Child("shop simulator", command, log_path=var_dir / log_name, env=child_env())
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


def demo_worker_command(*, concurrency: int, pool: str) -> list[str]:
    """The Celery worker the demo runs: the integrations queue, as in production."""
    return [
        *worker_command(name=f"demo-{uuid.uuid4().hex[:6]}@%h", concurrency=concurrency, pool=pool),
        "--without-heartbeat",
        # The file broker is polled (no push): with more messages reserved, a process that
        # finishes a chunk starts the next at once instead of at the next poll.
        "--prefetch-multiplier",
        "4",
    ]


@contextlib.contextmanager
def running_worker(
    var_dir: Path, *, concurrency: int, pool: str, log_name: str = "worker.log"
) -> Iterator[Child]:
    """A Celery worker on the demo's database and broker; call wait_for_line(" ready.") before
    relying on it (it boots while the demo loads its data)."""
    child = Child(
        "Celery worker",
        demo_worker_command(concurrency=concurrency, pool=pool),
        log_path=var_dir / log_name,
        env=child_env(),
    )
    try:
        yield child
    finally:
        child.stop()
