"""Progress under faults (issue 10): one full sync against a shop that fails a fifth of its
requests, and the same full sync against the same shop without faults, side by side.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
      .venv/bin/python bench/faulty_shop.py --redis-url redis://127.0.0.1:6379/13   # ~3 min

Real parts: a temporary PostgreSQL database (DATABASE_URL names the server; dropped after),
Redis as broker and shared limiter (--redis-url: that database is FLUSHED before and after),
one Celery worker process on both queues (prefork, --concurrency processes), and the
simulator as a process with the fault mix of issue 10: 10% 503, 5% 429 (half with
Retry-After, half without), 5% hung writes that land after the client gave up, 3% truncated
and 2% malformed bodies. --products linked products, a --drift share wrong in the shop.
The client's retry counts are production's (INVSYNC_SHOP_RETRIES and
INVSYNC_SHOP_RATE_LIMIT_RETRIES at their defaults); only the waits and timeouts are short
(printed), so a run takes a minute, not an hour. The full sync is started as the admin
button starts it; this process plays beat (the periodic drain every --housekeeping seconds),
which retries failed links. See bench/README.md.
"""

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import dataset
from bench.harness import catalogue, print_report, progress, workers_environment
from prestashop_sim.faults import issue_10_mix

FAULTS = issue_10_mix(hang_seconds=3.0)
# Waits and timeouts scaled down (production: 30 s read timeout, 30 s wait, 900 s, 300 s,
# 30 s); the hang (3 s) outlasts the read timeout (2 s), so hung writes land late.
TIMING = {
    "INVSYNC_SHOP_CONNECT_TIMEOUT": "1",
    "INVSYNC_SHOP_READ_TIMEOUT": "2",
    "INVSYNC_SHOP_RETRY_AFTER_WAIT": "2",
    "INVSYNC_RETRY_AFTER_MAX": "5",
    "INVSYNC_UNCERTAIN_RECHECK": "5",
    "INVSYNC_DRAIN_DELAY": "0.2",
}
BOTH = ("integrations_live", "integrations")  # the worker's queues, live first
RETRY_COUNTS = ("INVSYNC_SHOP_RETRIES", "INVSYNC_SHOP_RATE_LIMIT_RETRIES")


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--products", type=int, default=2000, help="linked products (2000)")
    p.add_argument("--drift", type=float, default=0.2, help="share differing in the shop (0.2)")
    p.add_argument("--chunk-size", type=int, default=50, help="links per chunk (50)")
    p.add_argument("--latency", type=float, default=0.02, help="shop's seconds per request")
    p.add_argument("--rate-limit", type=int, default=6000, help="integration's requests/min")
    p.add_argument("--concurrency", type=int, default=2, help="worker processes (2)")
    p.add_argument("--link-retry", type=int, default=2, help="INVSYNC_LINK_RETRY_SECONDS (2)")
    p.add_argument("--housekeeping", type=float, default=1.0, help="periodic drain every (1 s)")
    p.add_argument("--timeout", type=float, default=600.0, help="give up converging after (s)")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="FLUSHED (/13)")
    p.add_argument("--combination-share", type=float, default=0.2, help="(default 0.2)")
    p.add_argument("--seed", type=int, default=1, help="catalogue, drift and fault seed")
    p.add_argument("--save", type=Path, help="also append the report to this file")
    return p


def main(argv: list[str] | None = None) -> int:
    """Set up, run the full sync without and with faults, print both and the ratios."""
    args = parser().parse_args(argv)
    for name in RETRY_COUNTS:  # production's counts, whatever the caller's environment says
        os.environ.pop(name, None)
    link_retry = str(args.link_retry)
    with workers_environment(
        args.redis_url, INVSYNC_LINK_RETRY_SECONDS=link_retry, **TIMING
    ) as database:
        lines = measure(args, database)
    print_report(lines, args.save, append=True)
    return 0


@dataclass
class Outcome:
    label: str
    status: str = ""
    processed: int = 0
    changed: int = 0
    failed: int = 0
    run_requests: int = 0
    shop_requests: int = 0  # every answer the shop gave, faults included
    by_status: dict = field(default_factory=dict)
    attempts: int = 0  # chunk attempts, summed
    chunks: int = 0
    fired: dict = field(default_factory=dict)
    wrong_at_end: int = 0
    run_seconds: float = 0.0
    converged_seconds: float | None = None  # from the start until every row was right
    failing_links: int = 0  # links failing when the run ended
    ceiling: int | None = None  # the rate ceiling the limiter learned from the 429s
    batch_size: int | None = None  # rows per multi-row write in force at the run's end


def measure(args, database: str) -> list[str]:
    """Everything with the shop and the worker running; returns the report's lines."""
    from bench.live_latency import running_workers
    from prestashop_sim.testing import run_simulator_process

    items, rows = catalogue(args)
    progress(f"seed {args.seed}: starting the simulator with {len(items)} shop products")
    with (
        run_simulator_process(
            items=items, read_latency=args.latency, write_latency=args.latency, seed=args.seed
        ) as shop,
        tempfile.TemporaryDirectory(prefix="invsync-faulty-") as logs,
    ):
        integration, before, targets = prepare(shop, rows, args)
        with running_workers(Path(logs), layout=(("bulk", BOTH),), concurrency=args.concurrency):
            progress("the full sync, no faults")
            clean = full_sync(shop, integration, before, targets, [], args)
            progress("the full sync, the fault mix")
            faulty = full_sync(shop, integration, before, targets, FAULTS, args)
    return report(
        args,
        database,
        len(rows),
        sum(1 for r in rows if r.shop_quantity != r.ledger_quantity),
        clean,
        faulty,
    )


def prepare(shop, rows, args):
    """Ledger, integration, links; returns (integration, {stock id: shop quantity before},
    {stock id: ledger quantity})."""
    from integrations.linking import link_products

    progress(f"building the ledger and linking {len(rows)} products")
    dataset.build_ledger(rows)
    integration = dataset.create_integration(
        shop, rate_limit=args.rate_limit, concurrency=4, chunk_size=args.chunk_size
    )
    linked = len(link_products(integration).linked)
    if linked != len(rows):
        raise SystemExit(f"linking made {linked} links for {len(rows)} products")
    before = dataset.shop_quantities(shop, rows)
    ledger = {row.reference: row.ledger_quantity for row in rows}
    targets = {
        item["stock_ids"][0]: ledger[item["reference"]]
        for item in shop.catalogue()
        if item["reference"] in ledger and item["stock_ids"]
    }
    return integration, before, targets


def full_sync(shop, integration, before, targets, faults, args) -> Outcome:
    """The drift put back, nothing learned, then a full sync as the admin button starts it;
    waits for its end, then until every row is right (the periodic drain ticking)."""
    from integrations import tasks
    from integrations.models import ProductLink, SyncRun

    reset(shop, integration, before, faults, args.seed)
    outcome = Outcome("faults" if faults else "no faults")
    keeper = Housekeeper(args.housekeeping)
    started = time.monotonic()
    run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)
    deadline = started + args.timeout
    while run.is_active and time.monotonic() < deadline:
        keeper.wait()
        run.refresh_from_db()
    outcome.run_seconds = time.monotonic() - started
    outcome.wrong_at_end = wrong = wrong_rows(shop, targets)
    outcome.failing_links = ProductLink.objects.filter(state=ProductLink.State.FAILING).count()
    while wrong and time.monotonic() < deadline:
        keeper.wait()
        wrong = wrong_rows(shop, targets)
    if not wrong:
        outcome.converged_seconds = time.monotonic() - started
    collect(outcome, shop, integration, run)
    shop.set_faults([])
    return outcome


def reset(shop, integration, before, faults, seed: int) -> None:
    """The shop's rows and counters as before any sync, the links clean, the multi-row state
    as new (automatic: the first write settles it), no rate ceiling learned, the faults set."""
    from integrations import limiter_state
    from integrations.models import BATCH_START, Integration, ProductLink

    Integration.objects.filter(pk=integration.pk).update(
        batch_size=BATCH_START, batch_support=Integration.BatchSupport.UNKNOWN
    )
    integration.refresh_from_db()
    dataset.restore_shop(shop, before)
    dataset.mark_links_clean()
    ProductLink.objects.update(failed_attempts=0, next_attempt_at=None, last_error="")
    limiter_state.reset_rate_ceiling(integration)
    shop.set_faults(faults, seed=seed)
    shop.reset_counters()


def collect(outcome: Outcome, shop, integration, run) -> None:
    """The run's counts, the shop's answers and faults, what the integration learned."""
    from django.db.models import Sum

    run.refresh_from_db()
    integration.refresh_from_db()
    counters = shop.counters()
    outcome.status, outcome.processed = run.status, run.processed
    outcome.changed, outcome.failed, outcome.run_requests = run.changed, run.failed, run.requests
    outcome.shop_requests, outcome.by_status = counters["total"], counters["by_status"]
    outcome.attempts = run.chunks.aggregate(n=Sum("attempts"))["n"] or 0
    outcome.chunks, outcome.batch_size = run.chunks_total, run.batch_size
    outcome.fired, outcome.ceiling = fired(shop), integration.rate_ceiling


class Housekeeper:
    """The periodic drain (drain_all_task), as beat sends it, every `every` seconds."""

    def __init__(self, every: float):
        self.every, self._last = every, 0.0

    def wait(self) -> None:
        from integrations import tasks

        time.sleep(0.2)
        if time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            tasks.drain_all_task()


def wrong_rows(shop, targets: dict[int, int]) -> int:
    """Linked shop rows whose quantity differs from the ledger (the side endpoint)."""
    rows = shop.stock_rows(ids=list(targets))
    return sum(1 for row in rows if row["quantity"] != targets[row["id"]])


def fired(shop) -> dict[str, int]:
    """How often each fault rule fired, by kind (429s without Retry-After apart). A request
    may draw several: a 503 replaces a 429, either replaces a body fault; a hang comes first."""
    counts = {}
    for rule in shop._side("GET", "faults")["rules"]:
        name = rule["kind"] + ("/no_retry_after" if rule["variant"] == "no_retry_after" else "")
        counts[name] = counts.get(name, 0) + rule["fired"]
    return counts


def report(args, database, linked, drifted, clean: Outcome, faulty: Outcome) -> list[str]:
    """Setup lines, one block per way, the ratios last."""
    from django.conf import settings

    counts = ", ".join(f"{name}={getattr(settings, name)}" for name in RETRY_COUNTS)
    timing = ", ".join(f"{name}={value}" for name, value in TIMING.items())
    lines = [
        f"seed {args.seed}; database: {database}; Redis {args.redis_url}",
        f"1 Celery worker on both queues, prefork, {args.concurrency} processes; "
        f"shop latency {args.latency} s per request; integration {args.rate_limit}/min",
        f"{linked} linked products, {drifted} differing in the shop, chunks of {args.chunk_size}",
        f"retry counts (production defaults): {counts}",
        f"timing: {timing}, INVSYNC_LINK_RETRY_SECONDS={args.link_retry}, periodic drain "
        f"every {args.housekeeping} s",
    ]
    for outcome in (clean, faulty):
        lines += block(outcome)
    time_ratio = ratio(faulty.converged_seconds, clean.converged_seconds)
    lines.append(
        f"faults vs none: {ratio(faulty.shop_requests, clean.shop_requests)} requests "
        f"({faulty.shop_requests} vs {clean.shop_requests}), {time_ratio} time to every row "
        f"right ({seconds(faulty.converged_seconds)} vs {seconds(clean.converged_seconds)}); "
        f"faulty run {faulty.status}, {faulty.wrong_at_end} rows wrong at its end"
    )
    return lines


def block(o: Outcome) -> list[str]:
    fired_text = ", ".join(f"{k}={v}" for k, v in o.fired.items()) or "none"
    return [
        f"{o.label}: run {o.status} in {o.run_seconds:.1f} s: processed={o.processed} "
        f"changed={o.changed} failed={o.failed}; run requests={o.run_requests}, shop answered "
        f"{o.shop_requests} {o.by_status}; chunk attempts={o.attempts} for {o.chunks} chunks",
        f"  faults drawn: {fired_text}; learned rate ceiling {o.ceiling or 'none'}/min; "
        f"rows per write at the end {o.batch_size}",
        f"  at the run's end: {o.wrong_at_end} rows wrong, {o.failing_links} links failing; "
        f"every row right after {seconds(o.converged_seconds)}",
    ]


def seconds(value: float | None) -> str:
    return "never (timeout)" if value is None else f"{value:.1f} s"


def ratio(a, b) -> str:
    return "n/a" if not a or not b else f"{a / b:.2f}x"


if __name__ == "__main__":
    sys.exit(main())
