"""scripts/admin.sh (manage.py demo_admin): the admin on the demo's data, with its shop and
worker running again, so that "Testuj połączenie" and "Synchronizuj stany" work there.

The shop simulator comes back on the port and with the key the demo's integration holds,
from the catalogue the demo saved; a Celery worker takes the demo's file broker; runserver
runs in the foreground. Whatever ends it (Ctrl-C, SIGTERM, runserver exiting), both stop.
"""

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable

from django.conf import settings
from rich.console import Console

from demo.demo import DemoError, demo_var_dir, quiet_logging
from demo.demo_processes import running_worker, serving_simulator
from demo.demo_state import CATALOGUE_FILE, read_shop_record, shop_differences
from integrations.engine import connection as shop_connection
from integrations.models import Integration

WORKER_CONCURRENCY = 2
WORKER_START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


def demo_integration(url: str) -> Integration:
    """The demo's integration, the one whose shop URL is the saved simulator's."""
    integration = Integration.objects.filter(shop_url=url).order_by("pk").first()
    if integration is None:
        raise DemoError(f"No integration points at the demo shop {url}: run scripts/demo.sh.")
    return integration


def serve_admin(console: Console, foreground: Callable[[Integration, object, object], int]) -> int:
    """Start the demo's shop and worker, run ``foreground(integration, handle, worker)``, stop
    both; returns what the foreground returned."""
    var_dir = demo_var_dir()
    record = read_shop_record(var_dir)
    if record is None:
        raise DemoError(f"No saved demo shop in {var_dir}: run scripts/demo.sh to the end first.")
    integration = demo_integration(record.url)
    try:
        with quiet_logging(), contextlib.ExitStack() as stack:
            handle = _start_simulator(stack, var_dir, record, integration, console)
            worker = stack.enter_context(
                running_worker(
                    var_dir,
                    concurrency=WORKER_CONCURRENCY,
                    pool="prefork",
                    log_name="admin-worker.log",
                )
            )
            console.print(
                f"Celery worker: pid {worker.pid}, queue integrations, broker "
                f"{settings.CELERY_BROKER_URL}; its log: {worker.log_path}"
            )
            return foreground(integration, handle, worker)
    finally:
        console.print("The shop simulator and the Celery worker are stopped.")


def _start_simulator(stack, var_dir, record, integration: Integration, console: Console):
    sim, handle = stack.enter_context(
        serving_simulator(
            var_dir,
            var_dir / CATALOGUE_FILE,
            seed=record.seed,
            port=record.port,
            key=record.key,
            log_name="admin-simulator.log",
        )
    )
    compared, differing = shop_differences(handle, integration)
    console.print(
        f"Shop simulator: pid {sim.pid}, {handle.url} (integration “{integration.name}”), "
        f"{len(differing)} of {compared} linked stock rows differ from the ledger; "
        f"its log: {sim.log_path}"
    )
    return handle


def runserver(args: list[str]) -> Callable[..., int]:
    """A foreground that runs `manage.py runserver args` until it ends or is interrupted."""

    def _run(_integration, _handle, _worker) -> int:
        command = [sys.executable, "manage.py", "runserver", *args]
        # Its own group, so that stopping it also stops the autoreloader's child.
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True)  # noqa: S603
        try:
            return process.wait()
        finally:
            _stop_group(process)

    return _run


def _stop_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def check(console: Console) -> Callable[..., int]:
    """A foreground that waits for the worker, tests the connection and returns at once: 0 if
    the shop answers and matches the ledger."""

    def _check(integration, handle, worker) -> int:
        worker.wait_for_line(" ready.", timeout=WORKER_START_TIMEOUT)
        console.print(f"Celery worker ready (pid {worker.pid}).")
        result = shop_connection.check_connection(integration)
        console.print("Connection test: " + " ".join(result.lines))
        _compared, differing = shop_differences(handle, integration)
        return 0 if result.ok and not differing else 1

    return _check
