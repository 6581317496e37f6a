"""A worker under a real supervisord, restarted while it runs a full-sync chunk: a chunk that
ends within the soft shutdown finishes in its first attempt; a longer one is handed back to
the broker at once and runs again after the restart. Nothing is lost and nothing waits for
the task's time limit (issue 15: stopasgroup sent TERM to the pool process, which died with
its task at once, and stopwaitsecs=3660 then helped nobody).

The program is the one of supervisord.conf (its command line, stop signal, stop wait, group
options), with the virtualenv's celery replaced by this interpreter's and one process.
"""

import configparser
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from integrations import tasks
from integrations.models import FailedTask, Integration, SyncChunk, SyncRun
from tests.fixtures.integrations import _worker_env

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parent.parent
GENEROUS = 120.0  # seconds; outcomes are asserted, never how long they took
NODE = f"integrations_00@{socket.gethostname()}"


def write_config(folder: Path) -> Path:
    """supervisord.conf with its `integrations` program alone, as one process."""
    config = configparser.RawConfigParser()
    config.read_string((ROOT / "supervisord.conf").read_text())
    for section in config.sections():
        if section.startswith(("program:", "group:")) and section != "program:integrations":
            config.remove_section(section)
    program = "program:integrations"
    command = config.get(program, "command")
    assert command.startswith("%(here)s/deploy/envexec .venv/bin/celery ")
    command = command.replace(
        "%(here)s/deploy/envexec .venv/bin/celery", f"{sys.executable} -m celery"
    )
    config.set(program, "command", command)
    config.set(program, "numprocs", "1")
    config.set(program, "directory", str(ROOT))  # this checkout's code
    (folder / "var" / "log").mkdir(parents=True)
    path = folder / "supervisord.conf"
    with path.open("w") as out:
        config.write(out)
    return path


@pytest.fixture
def soft_shutdown() -> str:
    """Seconds a stopped worker lets its task go on (production: 60); set per test."""
    return "3"


@pytest.fixture
def supervisord(tmp_path, redis_url, redis_broker, soft_shutdown):
    """A running supervisord with the worker program; yields ctl(*args) -> supervisorctl."""
    from invsync.celery import app

    config = write_config(tmp_path)
    env = _worker_env(
        redis_url,
        {
            "CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT": soft_shutdown,
            "INVSYNC_LEASE_RENEW_SECONDS": "0.5",
        },
    )
    daemon = subprocess.Popen(
        [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(config)], env=env
    )

    def ctl(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(config), *args],
            capture_output=True, text=True, timeout=GENEROUS, check=False,
        )  # fmt: skip
        return result.stdout

    ctl.log = lambda: (tmp_path / "var" / "log" / "integrations_00.log").read_text(errors="replace")
    ctl.app = app
    try:
        wait_until(lambda: app.control.ping(destination=[NODE], timeout=1.0), ctl.log)
        yield ctl
    finally:
        daemon.terminate()  # supervisord stops its programs as configured, then exits
        daemon.wait(timeout=GENEROUS)


def wait_until(condition, log, timeout: float = GENEROUS):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"condition not met within {timeout}s; worker log:\n{log()[-6000:]}")


def restart_during_the_chunk(supervisord, shop, integration, *, read_takes: float) -> SyncRun:
    """Start a full sync whose chunk's read takes `read_takes` s, restart the worker while
    the read is under way, and wait until the run has ended."""
    shop.faults.add("hang", seconds=read_takes, count=1, methods={"GET"})
    run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)
    chunk = run.chunks.get()
    # Restarted once a lease renewal has counted the hung read: the chunk is mid-flight.
    wait_until(lambda: SyncChunk.objects.filter(pk=chunk.pk, requests=1).exists(), supervisord.log)
    first_pid = supervisord("pid", "integrations:integrations_00").strip()

    supervisord("restart", "integrations:*")

    assert supervisord("pid", "integrations:integrations_00").strip() != first_pid

    def finished() -> bool:
        run.refresh_from_db()
        return not run.is_active

    wait_until(finished, supervisord.log)
    return run


@pytest.fixture
def drifting(shop, make_integration, make_product, link_shop):
    """(integration, {product: shop stock row}): 4 linked products, 2 in the shop, 0 here."""
    integration = make_integration(shop, chunk_size=4, batch_writes=Integration.BatchWrites.OFF)
    products = [make_product() for _ in range(4)]
    rows = link_shop(shop, integration, products, quantity=2)
    return integration, [rows[p.pk] for p in products]


@pytest.mark.parametrize("soft_shutdown", ["20"])
def test_a_chunk_that_ends_within_the_soft_shutdown_finishes_in_its_first_attempt(
    supervisord, shop, drifting
):
    integration, rows = drifting

    run = restart_during_the_chunk(supervisord, shop, integration, read_takes=3.0)

    chunk = run.chunks.get()
    assert (run.status, run.processed, run.failed) == (SyncRun.Status.DONE, 4, 0)
    assert (chunk.attempts, chunk.requeues) == (1, 0)  # not killed, not run twice
    assert [shop.quantity(row) for row in rows] == [0, 0, 0, 0]
    assert not FailedTask.objects.exists()


def test_a_chunk_longer_than_the_soft_shutdown_is_handed_back_and_completes(
    supervisord, shop, drifting
):
    integration, rows = drifting

    run = restart_during_the_chunk(supervisord, shop, integration, read_takes=30.0)

    chunk = run.chunks.get()
    assert (run.status, run.processed, run.failed) == (SyncRun.Status.DONE, 4, 0)
    # Run again by the broker's redelivery (same task, second attempt), not taken back by
    # the lease reaper (no housekeeping ran) and not lost.
    assert (chunk.attempts, chunk.requeues) == (2, 0)
    assert [shop.quantity(row) for row in rows] == [0, 0, 0, 0]
    assert not FailedTask.objects.exists()
    assert "Initiating Soft Shutdown" in supervisord.log()
