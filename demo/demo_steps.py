"""The demo's steps that show something: the data, linking, the full sync, a goods issue, the
summary. Each prints what it did on a rich Console; demo.demo runs them in order."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from demo.demo_data import load_demo_catalogue
from demo.demo_shop import DemoShop
from integrations import tasks
from integrations.engine import estimates
from integrations.linking import LinkReport, describe_row
from integrations.models import Integration, ProductLink, SyncRun
from integrations.panel.progress import describe_estimate, run_progress
from warehouse import services
from warehouse.models import Document, StockLevel, Warehouse
from warehouse.selectors import stock_totals

POLL_SECONDS = 0.1


class StepFailed(Exception):
    """A step did not finish in time, or finished wrong."""


class RequestMeter:
    """Requests the shop simulator answered during each step (its own counters)."""

    def __init__(self, handle):
        self.handle = handle
        self.by_step: dict[str, int] = {}
        self.writes: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def _snapshot(self) -> tuple[int, int]:
        counters = self.handle.counters()
        methods = counters["by_method"]
        return counters["total"], methods.get("PATCH", 0) + methods.get("PUT", 0)

    def measure(self, step: str, action: Callable):
        """Run the action; remember its requests, writes and seconds under the step's name."""
        total, writes = self._snapshot()
        started = time.monotonic()
        result = action()
        self.seconds[step] = time.monotonic() - started
        total_after, writes_after = self._snapshot()
        self.by_step[step] = total_after - total
        self.writes[step] = writes_after - writes
        return result

    @property
    def total(self) -> int:
        return sum(self.by_step.values())


def load_ledger(options, admin, console: Console) -> None:
    """The ledger's demo catalogue, its opening stock booked as approved receipts (PZ)."""
    started = time.monotonic()
    catalogue = load_demo_catalogue(options.products, seed=options.seed, user=admin)
    numbers = ", ".join(receipt.number for receipt in catalogue.receipts)
    console.print(
        f"Ledger: {len(catalogue.products)} products in warehouses "
        f"{', '.join(w.code for w in catalogue.warehouses)}; opening stock booked by {numbers} "
        f"({time.monotonic() - started:.1f} s)"
    )


def describe_shop(console: Console, sim, handle, shop: DemoShop) -> None:
    console.print(
        f"Shop simulator: pid {sim.pid}, {handle.url} — {shop.simple} simple products and "
        f"{shop.combinations} combinations carry the ledger's SKUs; {len(shop.drift)} of "
        f"their {shop.rows} stock rows differ from the ledger"
    )


def describe_links(console: Console, report: LinkReport) -> None:
    combinations = sum(1 for match in report.linked if match.ps_combination_id)
    problems = (
        len(report.unmatched)
        + len(report.ambiguous)
        + len(report.has_combinations)
        + len(report.conflicts)
    )
    console.print(
        f"Linked {len(report.linked)} products by SKU ({combinations} to combinations) after "
        f"reading the shop's catalogue in {report.requests} requests; {problems} not linked"
    )


def full_sync(integration: Integration, admin, worker, console: Console, timeout: float):
    """Start a full sync (its chunks go to the worker) and follow it with a progress bar."""
    console.print("\n" + describe_estimate(estimates.estimate(integration)))
    run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.DEMO, user=admin)
    console.print(
        f"Full sync run #{run.pk}: {run.total} products in {run.chunks_total} chunks, "
        "sent to the worker"
    )
    deadline = time.monotonic() + timeout
    with Progress(*PROGRESS_COLUMNS, console=console) as progress:
        bar = progress.add_task("sync", total=run.total, details="")
        while True:
            run.refresh_from_db()
            progress.update(bar, completed=run.processed, details=progress_details(run))
            if not run.is_active:
                break
            worker.check_alive()  # a dead worker would leave the run waiting forever
            if time.monotonic() > deadline:
                raise StepFailed(f"The full sync did not finish in {timeout:.0f} s.")
            time.sleep(POLL_SECONDS)
    console.print(
        f"Run #{run.pk} {run.get_status_display()}: {run.processed} products checked, "
        f"{run.changed} rows written, {run.failed} failed"
    )
    if run.status != SyncRun.Status.DONE:
        raise StepFailed(f"The full sync ended {run.status}: {run.error}")
    return run


PROGRESS_COLUMNS = (
    TextColumn("full sync"),
    BarColumn(),
    MofNCompleteColumn(),
    TextColumn("{task.fields[details]}"),
    TimeElapsedColumn(),
)


def progress_details(run: SyncRun) -> str:
    """Rows written, chunks done and time left, as the admin's run page counts them."""
    progress = run_progress(run)
    eta = f", {progress.eta_label} left" if progress.eta_label and not progress.final else ""
    return f"written {progress.changed}, chunks {progress.chunks_done}/{progress.chunks_total}{eta}"


@dataclass
class GoodsIssue:
    number: str
    sku: str
    row: str  # the shop row, described
    ledger_before: int
    ledger_after: int
    shop_before: int
    shop_after: int
    seconds: float = 0.0
    polls: list[int] = field(default_factory=list)


def pick_link(integration: Integration) -> ProductLink:
    """A linked product with stock in the main warehouse, a combination if there is one."""
    levels = StockLevel.objects.filter(
        warehouse__code="MAG",
        quantity__gte=2,
        product__shop_links__integration=integration,
        product__shop_links__ps_stock_id__isnull=False,
    ).order_by("product__sku")
    level = levels.filter(product__shop_links__ps_combination_id__gt=0).first() or levels.first()
    if level is None:
        raise StepFailed("No linked product has stock in MAG for a goods issue.")
    return integration.links.select_related("product").get(product_id=level.product_id)


def goods_issue(integration: Integration, handle, admin, console: Console, timeout: float):
    """Approve a WZ of 2 units and time how long the shop's row takes to follow the ledger."""
    link = pick_link(integration)
    product = link.product
    ledger_before = stock_totals([product.pk]).get(product.pk, 0)
    shop_before = handle.quantity(link.ps_stock_id)
    document = services.create_document(
        Document.Kind.WZ, Warehouse.objects.get(code="MAG"), [(product, 2)], user=admin
    )
    services.approve(document, user=admin)
    started = time.monotonic()
    ledger_after = stock_totals([product.pk]).get(product.pk, 0)
    shop_after = shop_before
    while shop_after != ledger_after:
        if time.monotonic() - started > timeout:
            raise StepFailed(f"The shop did not follow {document.number} in {timeout:.0f} s.")
        time.sleep(POLL_SECONDS)
        shop_after = handle.quantity(link.ps_stock_id)
    issue = GoodsIssue(
        number=document.number,
        sku=product.sku,
        row=f"{describe_row((link.ps_product_id, link.ps_combination_id))}, "
        f"stock row {link.ps_stock_id}",
        ledger_before=ledger_before,
        ledger_after=ledger_after,
        shop_before=shop_before,
        shop_after=shop_after,
        seconds=time.monotonic() - started,
    )
    console.print(
        f"\nGoods issue {issue.number} approved: 2 units of {issue.sku} out of MAG, ledger "
        f"{issue.ledger_before} → {issue.ledger_after}\n"
        f"The shop followed: {issue.row}: {issue.shop_before} → {issue.shop_after} "
        f"after {issue.seconds:.1f} s (a drain task on the worker, no manual step)"
    )
    return issue


@dataclass
class DemoSummary:
    run: SyncRun
    shop: DemoShop
    issue: GoodsIssue
    meter: RequestMeter
    seconds: float


def print_summary(console: Console, summary: DemoSummary) -> None:
    run, meter = summary.run, summary.meter
    steps = ", ".join(f"{step} {count}" for step, count in meter.by_step.items())
    console.print(
        "\nSummary\n"
        f"  products checked: {run.processed}\n"
        f"  rows written: {run.changed} (the shop had drifted on {len(summary.shop.drift)} "
        f"rows; {meter.writes['full sync']} write requests carried them)\n"
        f"  requests sent: {meter.total} ({steps}; counted by the shop simulator); "
        f"a one-by-one push sends about 3 per product: {3 * run.processed}\n"
        f"  full sync: {meter.seconds['full sync']:.1f} s on the worker, "
        f"{run.chunks_total} chunks\n"
        f"  goods issue followed: {summary.issue.number} in the shop after "
        f"{summary.issue.seconds:.1f} s\n"
        f"  time: {summary.seconds:.1f} s in all\n"
        "  nothing left running: the worker and the simulator are stopped"
    )


def print_admin_help(console: Console, database: Path, password: str) -> None:
    var_dir = Path(settings.VAR_DIR).resolve()
    default = (Path(settings.BASE_DIR) / "var" / "demo").resolve()
    script = (
        "scripts/admin.sh" if var_dir == default else f"INVSYNC_VAR_DIR={var_dir} scripts/admin.sh"
    )
    console.print(
        "\nOpen the admin on this data (Polish); it starts the shop simulator again (same port "
        "and key, the saved stock) and a Celery worker, and stops them when you stop it:\n"
        f"  {script}\n"
        f"  or only the admin, without the shop and worker: DEBUG=1 INVSYNC_VAR_DIR={var_dir} "
        f"DATABASE_URL=sqlite:///{database} .venv/bin/python manage.py runserver\n"
        f"  then http://127.0.0.1:8000/admin/  user: admin  password: {password}"
    )
