"""The demo (scripts/demo.sh, manage.py demo): the whole sync on one machine, no servers.

A fresh SQLite database and file broker under the demo's var folder, the ledger's demo
catalogue, a simulated PrestaShop whose stock drifted from the ledger, a real Celery worker;
then linking, a full sync through the worker with a progress bar, and a goods issue (WZ)
that the shop follows within seconds. Nothing keeps running when it ends; the shop's state
(catalogue with its stock, port, key) stays in the folder for scripts/admin.sh.
"""

import contextlib
import logging
import math
import secrets
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from rich.console import Console

from demo import demo_state, demo_steps
from demo.demo_data import demo_products
from demo.demo_processes import running_simulator, running_worker
from demo.demo_shop import build_demo_shop
from integrations.engine import connection as shop_connection
from integrations.linking import link_products
from integrations.models import Integration

DEMO_DIR_NAME = "demo"
ADMIN_LOGS = ("admin-worker.log", "admin-simulator.log")  # scripts/admin.sh's children
DATABASE_FILE = "invsync.sqlite3"
# Everything the demo writes in its folder; a new run deletes these and nothing else.
OWN_FILES = (
    "worker.log",
    "simulator.log",
    demo_state.CATALOGUE_FILE,
    demo_state.RECORD_FILE,
    *ADMIN_LOGS,
)
OWN_DIRS = ("broker",)
WORKER_START_TIMEOUT = 60.0


class DemoError(Exception):
    """The demo cannot run here, or a step did not finish."""


@dataclass(frozen=True)
class DemoOptions:
    products: int = 3000
    seed: int = 2026
    drift: float = 0.12  # share of shop rows whose quantity differs from the ledger
    workers: int = 2  # worker pool processes
    pool: str = "prefork"
    timeout: float = 120.0  # seconds for the full sync, and for the shop to follow the WZ


def demo_database_path() -> Path | None:
    """The database file if it is the demo's own (``<var>/demo/invsync.sqlite3``), else None."""
    db = connection.settings_dict
    name = str(db.get("NAME") or "")
    if not db["ENGINE"].endswith("sqlite3") or name in ("", ":memory:") or name.startswith("file:"):
        return None
    path = Path(name).resolve()
    if path.name == DATABASE_FILE and path.parent.name == DEMO_DIR_NAME:
        return path
    return None


def demo_var_dir() -> Path:
    """The demo's own folder: INVSYNC_VAR_DIR, which must hold the demo database."""
    path = demo_database_path()
    var_dir = Path(settings.VAR_DIR).resolve()
    if path is None or path.parent != var_dir:
        raise DemoError(
            "The demo runs only on its own SQLite database, <INVSYNC_VAR_DIR>/invsync.sqlite3 "
            f"in a folder named '{DEMO_DIR_NAME}' (INVSYNC_VAR_DIR is {var_dir}, the database "
            f"is {connection.settings_dict.get('NAME')}). Run it with scripts/demo.sh."
        )
    return var_dir


def reset_demo_dir(var_dir: Path) -> None:
    """Delete the previous run's database, broker folders and logs; nothing else."""
    connection.close()
    for suffix in ("", "-wal", "-shm", "-journal"):
        (var_dir / f"{DATABASE_FILE}{suffix}").unlink(missing_ok=True)
    for name in OWN_FILES:
        (var_dir / name).unlink(missing_ok=True)
    for name in OWN_DIRS:
        shutil.rmtree(var_dir / name, ignore_errors=True)
    var_dir.mkdir(parents=True, exist_ok=True)
    # The Celery app made the broker folders when it was imported; make them again.
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        folder = (settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}).get(key)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)


def create_database() -> None:
    """Migrate the fresh file and switch it to WAL: the worker writes while the demo reads."""
    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")


def refresh_admin() -> tuple[object, str]:
    """Create (or reset) the superuser 'admin' with a new random password."""
    password = secrets.token_urlsafe(12)
    user, _created = get_user_model().objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True}
    )
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    return user, password


def create_integration(handle, *, products: int) -> Integration:
    """The demo shop's integration: a generous rate, chunks small enough to watch."""
    return Integration.objects.create(
        name="Sklep demo (symulator)",
        shop_url=handle.url,
        api_key=handle.key,
        mode=Integration.Mode.LOCAL_TO_PRESTA,
        reserve_orders=False,  # the simulator started here takes no orders
        requests_per_minute=6000,
        max_concurrent_requests=4,
        chunk_size=min(max(math.ceil(products / 12), 50), 500),
    )


@contextlib.contextmanager
def exit_on_termination():
    """SIGTERM and SIGHUP end the demo like Ctrl-C does: through its cleanup."""

    def _exit(signum, _frame):
        raise SystemExit(128 + signum)

    saved = {}
    with contextlib.suppress(ValueError):  # not the main thread: leave the handlers alone
        for signum in (signal.SIGTERM, signal.SIGHUP):
            saved[signum] = signal.signal(signum, _exit)
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def run_demo(options: DemoOptions, console: Console) -> demo_steps.DemoSummary:
    """Run the whole demo, printing as it goes; stops its worker and simulator whatever happens."""
    started = time.monotonic()
    var_dir = demo_var_dir()
    reset_demo_dir(var_dir)
    with quiet_logging(), contextlib.ExitStack() as stack:
        # The worker boots (a few seconds) while the database and the data are made.
        worker = stack.enter_context(
            running_worker(var_dir, concurrency=options.workers, pool=options.pool)
        )
        create_database()
        console.print(f"Fresh demo database: {var_dir / DATABASE_FILE}")
        console.print(
            f"Celery worker: pid {worker.pid} ({options.pool}, {options.workers} processes, "
            f"queue integrations, broker {settings.CELERY_BROKER_URL}), starting; "
            f"its log: {worker.log_path}"
        )
        admin, password = refresh_admin()
        summary = _run_with_processes(options, console, stack, worker, admin)
    summary.seconds = time.monotonic() - started
    console.print("The Celery worker and the shop simulator are stopped.")
    demo_steps.print_summary(console, summary)
    demo_steps.print_admin_help(console, var_dir / DATABASE_FILE, password)
    return summary


def _run_with_processes(options, console, stack, worker, admin) -> demo_steps.DemoSummary:
    shop = build_demo_shop(
        demo_products(options.products, seed=options.seed),
        seed=options.seed,
        drift_share=options.drift,
    )
    demo_steps.load_ledger(options, admin, console)
    var_dir = worker.log_path.parent
    sim, handle = stack.enter_context(running_simulator(var_dir, shop.items, seed=options.seed))
    demo_steps.describe_shop(console, sim, handle, shop)
    integration = create_integration(handle, products=options.products)
    meter = demo_steps.RequestMeter(handle)
    check = meter.measure("connection test", lambda: shop_connection.check_connection(integration))
    console.print("Connection test: " + " ".join(check.lines))
    if not check.ok:
        raise DemoError("The connection test failed.")
    report = meter.measure("linking", lambda: link_products(integration))
    demo_steps.describe_links(console, report)
    worker.wait_for_line(" ready.", timeout=WORKER_START_TIMEOUT)
    console.print(f"Celery worker ready (pid {worker.pid}).")
    timeout = options.timeout
    run = meter.measure(
        "full sync", lambda: demo_steps.full_sync(integration, admin, worker, console, timeout)
    )
    issue = meter.measure(
        "goods issue",
        lambda: demo_steps.goods_issue(integration, handle, admin, console, timeout),
    )
    catalogue = demo_state.save_shop_state(
        handle, var_dir, names=shop_names(shop.items), seed=options.seed
    )
    console.print(f"\nThe shop's catalogue with its current stock saved: {catalogue}")
    console.print(
        f"Stopping the Celery worker (pid {worker.pid}) and the shop simulator (pid {sim.pid})..."
    )
    return demo_steps.DemoSummary(run=run, shop=shop, issue=issue, meter=meter, seconds=0.0)


def shop_names(items: list[dict]) -> dict[str, str]:
    """Product name by reference: the simulator's side endpoint does not give names."""
    return {item["reference"]: item.get("name", "") for item in items}


@contextlib.contextmanager
def quiet_logging():
    """Only errors from this process's loggers: the demo tells its own story (the worker's
    log is in its file)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def default_console(stream=None) -> Console:
    """A console for the demo's output; plain text when it is not a terminal."""
    return Console(
        file=stream or sys.stdout, highlight=False, markup=False, emoji=False, soft_wrap=True
    )
