"""Live latency: how soon an approved document reaches the shop, idle and during a full sync.

    .venv/bin/python bench/live_latency.py                                  # a few minutes
    .venv/bin/python bench/live_latency.py --products 6000 --documents 10   # quick check

Real parts throughout: Celery workers as processes (the supervisord layout in small: one
process on integrations_live alone, one on integrations_live then integrations), Redis as
broker and shared limiter (--redis-url: that database is flushed before and after), a
temporary PostgreSQL database (DATABASE_URL names the server; dropped after) and the
simulator as a process (--latency per request). The integration may send --rate-limit
requests a minute.

--documents single-line PZ documents are approved one every --interval seconds, first with
nothing else running, then while a full sync of --products products (a --drift share of them
differing) runs. For each: the time from approve() returning until the simulator holds the
ledger's quantity (its side endpoint, polled). The same full sync is also run alone first,
so the last lines give p50/p95/max for both and the full sync's slowdown from the live work.
See bench/README.md.
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import dataset
from bench.arrivals import ArrivalPoller
from bench.harness import catalogue, print_report, progress, workers_environment

LAYOUT = (("live", ("integrations_live",)), ("bulk", ("integrations_live", "integrations")))
WORKER_START_TIMEOUT = 90.0


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--products", type=int, default=10000, help="linked products (default 10000)")
    p.add_argument("--documents", type=int, default=40, help="documents per phase (default 40)")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between approvals (0.5)")
    p.add_argument("--drift", type=float, default=0.3, help="share the full sync writes (0.3)")
    p.add_argument("--latency", type=float, default=0.05, help="shop's seconds per request (0.05)")
    p.add_argument(
        "--rate-limit", type=int, default=600, help="integration's requests per minute (600)"
    )
    p.add_argument("--chunk-size", type=int, default=500, help="links per chunk (default 500)")
    p.add_argument("--drain-delay", type=float, default=1.0, help="INVSYNC_DRAIN_DELAY (1.0)")
    p.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/15", help="Redis database, FLUSHED (/15)"
    )
    p.add_argument("--combination-share", type=float, default=0.2, help="(default 0.2)")
    p.add_argument("--seed", type=int, default=1, help="seed of catalogue and drift")
    return p


def main(argv: list[str] | None = None) -> int:
    """Set up, measure both phases and the full sync alone, print the results."""
    args = parser().parse_args(argv)
    if args.documents < 2:
        raise SystemExit("--documents must be >= 2 (p95 needs them).")
    drain_delay = str(args.drain_delay)
    with workers_environment(args.redis_url, INVSYNC_DRAIN_DELAY=drain_delay) as database:
        lines = measure(args, database)
    print_report(lines, None)
    return 0


@dataclass
class Setup:
    integration: object
    warehouse: object
    linked: int
    targets: list[tuple[int, int]]  # (product id, stock row id) of the documents' products
    drift: dict[int, int]  # stock row id -> the shop's quantity that differs from the ledger


@dataclass
class SyncOutcome:
    seconds: float
    processed: int
    changed: int
    requests: int  # every request the shop answered meanwhile (live work included)
    status: str


def measure(args, database: str) -> list[str]:
    """Everything with the shop and the workers running; returns the lines to print."""
    from prestashop_sim.testing import run_simulator_process

    items, rows = catalogue(args)
    progress(f"starting the simulator with {len(items)} shop products")
    with (
        run_simulator_process(
            items=items, read_latency=args.latency, write_latency=args.latency, seed=args.seed
        ) as shop,
        tempfile.TemporaryDirectory(prefix="invsync-live-") as logs,
    ):
        setup = prepare(shop, rows, args)
        with running_workers(Path(logs)):
            progress(f"idle: {args.documents} documents, one every {args.interval} s")
            idle = approve_documents(shop, setup, setup.targets[: args.documents], args)
            progress("the full sync alone")
            alone = full_sync(shop, setup)
            progress("the full sync again, with the documents")
            during, busy = full_sync_with_documents(shop, setup, args)
    return report(args, database, setup, idle, alone, during, busy)


def prepare(shop, rows, args) -> Setup:
    """Ledger, integration, links (link_products), and what the phases need."""
    from integrations.linking import link_products
    from integrations.models import ProductLink
    from warehouse.models import Warehouse

    progress(f"building the ledger and linking {len(rows)} products")
    dataset.build_ledger(rows)
    integration = dataset.create_integration(
        shop, rate_limit=args.rate_limit, concurrency=4, chunk_size=args.chunk_size
    )
    linked = len(link_products(integration).linked)
    dataset.mark_links_clean()
    row_ids = {(r["id_product"], r["id_product_attribute"]): r["id"] for r in shop.stock_rows()}
    by_sku = {row.reference: row for row in rows}
    drift, steady = {}, []
    links = ProductLink.objects.order_by("pk").values_list(
        "product_id", "product__sku", "ps_product_id", "ps_combination_id"
    )
    for product_id, sku, ps_product, ps_combination in links:
        row, stock_id = by_sku[sku], row_ids[(ps_product, ps_combination)]
        if row.ledger_quantity != row.shop_quantity:
            drift[stock_id] = row.shop_quantity
        else:
            steady.append((product_id, stock_id))
    wanted = 2 * args.documents
    if len(steady) < wanted:
        raise SystemExit(f"{len(steady)} products without drift; lower --documents or --drift")
    targets = [steady[n * len(steady) // wanted] for n in range(wanted)]  # spread evenly
    return Setup(integration, Warehouse.objects.get(code="BENCH"), linked, targets, drift)


@contextlib.contextmanager
def running_workers(folder: Path, *, layout=LAYOUT, concurrency: int = 1):
    """The worker processes of `layout` (two by default), ready (they answer a ping);
    stopped afterwards."""
    from demo.processes import Child, worker_command
    from invsync.celery import app

    children = []
    try:
        for label, queues in layout:
            name = f"bench-{label}-{uuid.uuid4().hex[:6]}@localhost"
            command = worker_command(
                name=name, concurrency=concurrency, pool="prefork", queues=queues
            )
            children.append(
                Child(name, command, log_path=folder / f"{label}.log", env=dict(os.environ))
            )
        wait_until_answering(app, children)
        yield children
    finally:
        for child in children:
            child.stop()


def wait_until_answering(app, children) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    waiting = {child.name: child for child in children}
    while waiting and time.monotonic() < deadline:
        for child in waiting.values():
            child.check_alive()
        for reply in app.control.ping(destination=list(waiting), timeout=1.0):
            for name in reply:
                waiting.pop(name, None)
    if waiting:
        raise SystemExit(f"workers did not answer: {sorted(waiting)}")


def approve_documents(shop, setup: Setup, targets, args) -> list[float]:
    """Approve one single-line PZ per target, one every interval; returns each latency."""
    from warehouse import services
    from warehouse.models import Document
    from warehouse.selectors import stock_totals

    poller = ArrivalPoller(shop.url)
    with poller.running():
        next_at = time.monotonic()
        for product_id, stock_id in targets:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += args.interval
            document = services.create_document(
                Document.Kind.PZ, setup.warehouse, [(product_id, 1)], user=None
            )
            services.approve(document, user=None)
            approved = time.monotonic()
            poller.expect(stock_id, stock_totals([product_id])[product_id], since=approved)
        return poller.wait(timeout=180.0)


def start_full_sync(shop, setup: Setup):
    """Put the drift back in the shop, zero its counters and start a full sync."""
    from integrations import tasks
    from integrations.models import SyncRun

    for stock_id, quantity in setup.drift.items():
        shop.set_quantity(stock_id, quantity)
    shop.reset_counters()
    return tasks.start_full_sync(setup.integration, trigger=SyncRun.Trigger.COMMAND)


def wait_for_end(shop, run) -> SyncOutcome:
    """Poll the run until it ends; its time is the run's own (created to finished)."""
    while True:
        run.refresh_from_db()
        if not run.is_active:
            break
        time.sleep(0.5)
    seconds = (run.finished_at - run.created_at).total_seconds()
    total = shop.counters()["total"]
    return SyncOutcome(seconds, run.processed, run.changed, total, run.status)


def full_sync(shop, setup: Setup) -> SyncOutcome:
    return wait_for_end(shop, start_full_sync(shop, setup))


def full_sync_with_documents(shop, setup: Setup, args) -> tuple[SyncOutcome, list[float]]:
    """The full sync again, the documents approved once its first chunk has started; fails
    if the run ended before the last document (the phase would not measure what it says)."""
    run = start_full_sync(shop, setup)
    while run.status == "queued":
        time.sleep(0.1)
        run.refresh_from_db()
    latencies = approve_documents(shop, setup, setup.targets[args.documents :], args)
    run.refresh_from_db()
    if not run.is_active:
        raise SystemExit("the full sync ended before the last document: raise --products")
    return wait_for_end(shop, run), latencies


def summary(latencies: list[float]) -> str:
    """p50, p95 and max of a list of seconds."""
    p95 = statistics.quantiles(latencies, n=100, method="inclusive")[94]
    return (
        f"p50 {statistics.median(latencies):5.2f} s   p95 {p95:5.2f} s   "
        f"max {max(latencies):5.2f} s"
    )


def report(args, database, setup, idle, alone, during, busy) -> list[str]:
    """The setup, both full syncs, then the latencies and the slowdown (the last lines)."""
    return [
        f"database: {database}; broker and limiter: Redis {args.redis_url}",
        f"workers: 1 process on integrations_live alone, 1 on integrations_live,integrations "
        f"(prefork, 1 process each); simulator latency {args.latency} s per request",
        f"integration: {args.rate_limit} requests/min, chunks of {args.chunk_size}; "
        f"{setup.linked} linked products, {len(setup.drift)} differing in the shop",
        sync_line("full sync alone", alone),
        sync_line("full sync with live work", during),
        "",
        f"from approve() to the shop ({args.documents} documents per phase, one every "
        f"{args.interval} s, drain delay {args.drain_delay} s; during: all approved while the "
        "full sync ran):",
        f"  idle:              {summary(idle)}",
        f"  during full sync:  {summary(busy)}",
        f"full sync slowdown from the live work: x{during.seconds / alone.seconds:.2f} "
        f"({alone.seconds:.1f} s -> {during.seconds:.1f} s)",
    ]


def sync_line(label: str, outcome: SyncOutcome) -> str:
    return (
        f"{label}: {outcome.status}, {outcome.processed} products, {outcome.changed} written, "
        f"{outcome.requests} requests answered by the shop, {outcome.seconds:.1f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
