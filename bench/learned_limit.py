"""Learned limit: a full sync against a shop that allows fewer requests than the integration
is set to, under both of the simulator's rate models.

    .venv/bin/python bench/learned_limit.py                    # about 6 minutes
    .venv/bin/python bench/learned_limit.py --chunk-size 100   # fewer requests, quicker

The simulator runs as a process and lets --shop-rate requests a minute through (a sliding
60 s log answered with 429 and Retry-After; then nginx's leaky bucket, limit_req with
--burst, answered with 429 without Retry-After). The integration is set to
--integration-rate, so the limiter has to learn the shop's limit from its 429s. For each
mode a full sync of --products products (a --drift share differing) starts with nothing
learned; its time is set against the bound its requests need at the shop's rate
(requests / shop rate x 60 s), and the 429s after the first are counted (the first one
teaches the ceiling). See bench/README.md.
"""

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import dataset, engine_run, report
from bench.django_env import django_environment
from bench.harness import catalogue, print_report, progress

MODES = {
    "sliding": {"rate_mode": "sliding", "retry_after": True},
    "leaky": {"rate_mode": "leaky", "retry_after": False, "rate_nodelay": True},
    "leaky-delay": {"rate_mode": "leaky", "retry_after": False, "rate_nodelay": False},
}


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--products", type=int, default=2000, help="linked products (default 2000)")
    p.add_argument("--drift", type=float, default=0.5, help="share that differs (default 0.5)")
    p.add_argument("--shop-rate", type=int, default=100, help="shop's requests/min (100)")
    p.add_argument(
        "--integration-rate", type=int, default=300, help="integration's requests/min (300)"
    )
    p.add_argument("--burst", type=int, default=5, help="leaky bucket's burst (nginx; 5)")
    p.add_argument("--modes", default="sliding,leaky", help="simulator rate modes (sliding,leaky)")
    p.add_argument("--workers", type=int, default=4, help="chunk threads (default 4)")
    p.add_argument("--chunk-size", type=int, default=50, help="links per chunk (default 50)")
    p.add_argument("--read-latency", type=float, default=0.02, help="seconds per GET (0.02)")
    p.add_argument("--write-latency", type=float, default=0.03, help="seconds per write (0.03)")
    p.add_argument("--write-row-latency", type=float, default=0.0015, help="per row (0.0015)")
    p.add_argument("--capacity", type=int, default=4, help="requests served at once (4)")
    p.add_argument("--combination-share", type=float, default=0.2, help="(default 0.2)")
    p.add_argument("--seed", type=int, default=1, help="seed of catalogue and drift")
    p.add_argument("--save", type=Path, help="also write the report to this file")
    return p


@dataclass
class Outcome:
    mode: str
    seconds: float
    reads: int
    writes: int
    rate_limited: int
    ceiling: int | None
    result: engine_run.EngineResult

    @property
    def requests(self) -> int:
        return self.reads + self.writes


def main(argv: list[str] | None = None) -> int:
    """Build the data, run one full sync per rate mode, print the ratios."""
    args = parser().parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if any(m not in MODES for m in modes):
        raise SystemExit(f"--modes: choose from {', '.join(MODES)}")
    with django_environment(database_url=os.environ.get("DATABASE_URL", "")) as database:
        lines = measure(args, modes, database)
    print_report(lines, args.save)
    return 0


def measure(args, modes: list[str], database: str) -> list[str]:
    """Everything that talks to the shop; returns the report's lines."""
    from integrations.linking import link_products
    from prestashop_sim.testing import run_simulator_process

    items, rows = catalogue(args)
    progress(f"starting the simulator with {len(items)} shop products")
    with run_simulator_process(
        items=items,
        read_latency=args.read_latency,
        write_latency=args.write_latency,
        write_row_latency=args.write_row_latency,
        capacity=args.capacity or None,
        seed=args.seed,
        timeout=120,
    ) as shop:
        dataset.build_ledger(rows)
        integration = dataset.create_integration(
            shop,
            rate_limit=args.integration_rate,
            concurrency=args.capacity or args.workers,
            chunk_size=args.chunk_size,
        )
        link_products(integration)  # before the shop's limit: linking is not measured
        quantities = dataset.shop_quantities(shop, rows)
        outcomes = []
        for mode in modes:
            progress(f"full sync against the {mode} rate limit")
            dataset.restore_shop(shop, quantities)
            outcomes.append(run_mode(shop, integration, mode, args))
        mismatches = report.check_shop(shop, rows)
    return report_lines(args, database, outcomes, mismatches)


def run_mode(shop, integration, mode: str, args) -> Outcome:
    """One full sync from nothing learned against the shop's limit in `mode`."""
    from integrations import limiter_state
    from integrations.models import BATCH_START, Integration
    from integrations.ratelimit import forget_local_states

    shop.set_load(rate_limit=None)  # the link read and the restore are not measured
    Integration.objects.filter(pk=integration.pk).update(
        batch_writes="auto", batch_size=BATCH_START, batch_support="unknown"
    )
    integration.refresh_from_db()
    limiter_state.reset_rate_ceiling(integration)
    forget_local_states()
    dataset.mark_links_clean()
    shop.set_load(rate_limit=args.shop_rate, rate_burst=args.burst, **MODES[mode])
    shop.reset_counters()
    started = time.monotonic()
    result = engine_run.run_full_sync(integration, workers=args.workers)
    seconds = time.monotonic() - started
    counts = shop.counters()
    shop.set_load(rate_limit=None)
    reads, writes = report.reads_and_writes(counts)
    integration.refresh_from_db()
    return Outcome(
        mode, seconds, reads, writes, counts["rate_limited"], integration.rate_ceiling, result
    )


def report_lines(args, database: str, outcomes: list[Outcome], mismatches: int) -> list[str]:
    """The setup, one line of facts per mode, then the ratios last."""
    lines = [
        "invsync learned-limit benchmark",
        f"  database:   {database}",
        f"  shop:       simulator process, read {args.read_latency:g} s, write "
        f"{args.write_latency:g} s + {args.write_row_latency:g} s per row, capacity "
        f"{args.capacity or 'unlimited'}, {args.shop_rate} requests/min",
        f"  modes:      sliding = 60 s log, 429 with Retry-After; leaky = nginx limit_req "
        f"rate={args.shop_rate}r/m burst={args.burst} nodelay, 429 without Retry-After "
        "(leaky-delay: without nodelay, the burst queued)",
        f"  data:       {args.products} linked products, drift {args.drift:.0%}, chunks of "
        f"{args.chunk_size}, {args.workers} workers, integration set to "
        f"{args.integration_rate}/min, nothing learned at the start",
        f"  check:      {mismatches} linked shop rows differ from the ledger at the end",
    ]
    for o in outcomes:
        r = o.result
        lines.append(
            f"  {o.mode + ':':<11} {r.chunks} chunks, {r.changed} changed, {r.failed} failed, "
            f"{r.retries} chunk retries, learned ceiling {o.ceiling or 'none'}/min"
        )
    lines.append("")
    for o in outcomes:
        bound = o.requests / args.shop_rate * 60.0
        lines.append(
            f"{o.mode:<11} | {o.requests} requests ({o.reads} reads + {o.writes} writes) | "
            f"{o.seconds:.1f} s | bound {bound:.1f} s at {args.shop_rate}/min | "
            f"{o.seconds / bound:.2f}x the bound | 429s: {o.rate_limited} "
            f"({max(0, o.rate_limited - 1)} after the first)"
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
