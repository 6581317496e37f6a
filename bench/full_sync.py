"""Full sync benchmark: three ways against one simulator process, in one run.

    .venv/bin/python bench/full_sync.py                          # 17,800 products, fast shop
    .venv/bin/python bench/full_sync.py --preset shared-host     # 100 requests/min, 0.3/0.5 s
    .venv/bin/python bench/full_sync.py --products 2000          # quick check

1. the old system's way: every product found, read and written back, 3 requests each, on as
   many workers as invsync gets;
2. invsync with one row per write request (multi-row writes off);
3. invsync with several rows per write request (multi-row writes on automatic).
The slow ways may run on a sample and be extrapolated; the output says which. See
bench/README.md for what every number means. The last lines print the ratios.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import dataset, engine_run, report
from bench.django_env import django_environment
from bench.harness import catalogue, print_report, progress
from bench.presets import PRESETS, apply_preset


def parser() -> argparse.ArgumentParser:
    """Command-line options; load options left out come from the preset."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS), default="fast", help="shop (fast)")
    p.add_argument("--products", type=int, default=17_800, help="linked products (default 17800)")
    p.add_argument(
        "--drift", type=float, default=0.1, help="share whose shop quantity differs (default 0.1)"
    )
    p.add_argument("--read-latency", type=float, help="seconds per GET")
    p.add_argument("--write-latency", type=float, help="seconds per PUT/PATCH")
    p.add_argument("--write-row-latency", type=float, help="extra seconds per row a write saves")
    p.add_argument("--rate-limit", type=int, help="shop's requests per minute (0 = none)")
    p.add_argument("--capacity", type=int, help="requests the shop serves at once (0 = any)")
    p.add_argument("--workers", type=int, default=4, help="workers of each way (default 4)")
    p.add_argument("--chunk-size", type=int, default=500, help="links per chunk (default 500)")
    p.add_argument(
        "--baseline-sample",
        type=int,
        help="products the old way really pushes; extrapolated to --products (0 = all)",
    )
    p.add_argument(
        "--single-sample-chunks",
        type=int,
        help="chunks invsync runs with single-row writes, spread evenly; extrapolated (0 = all)",
    )
    p.add_argument(
        "--combination-share",
        type=float,
        default=0.2,
        help="share of shop products with 2-4 combinations (default 0.2)",
    )
    p.add_argument("--ps-version", default="8.1.7", help="PrestaShop version to emulate")
    p.add_argument(
        "--reserve-orders",
        action="store_true",
        help="the integration reserves stock for shop orders: orders read before write passes",
    )
    p.add_argument("--seed", type=int, default=1, help="seed of catalogue and drift")
    p.add_argument("--save", type=Path, help="also write the report to this file")
    return p


def main(argv: list[str] | None = None) -> int:
    """Build the data, run the three ways against one simulator process, print the ratios."""
    args = parser().parse_args(argv)
    apply_preset(args)
    if not 0 <= args.drift <= 1 or args.products < 1:
        raise SystemExit("--drift must be within 0..1 and --products at least 1")
    with django_environment(database_url=os.environ.get("DATABASE_URL", "")) as database:
        lines = measure(args, database)
    print_report(lines, args.save)
    return 0


def measure(args, database: str) -> list[str]:
    """Everything that talks to the shop; returns the report's lines."""
    from prestashop_sim.testing import run_simulator_process

    items, rows = catalogue(args)
    progress(f"starting the simulator with {len(items)} shop products ({args.preset})")
    with run_simulator_process(
        items=items,
        ps_version=args.ps_version,
        read_latency=args.read_latency,
        write_latency=args.write_latency,
        write_row_latency=args.write_row_latency,
        capacity=args.capacity or None,
        rate_limit=args.rate_limit or None,
        read_orders=args.reserve_orders,
        seed=args.seed,
        timeout=120,
    ) as shop:
        setup = prepare(shop, rows, args)
        progress(f"old way: {args.workers} workers pushing one product at a time")
        old = run_old_way(shop, args)
        dataset.restore_shop(shop, setup.shop_quantities)
        progress("invsync: full sync, one row per write request")
        single = run_engine(shop, setup.integration, args, batch_writes="off")
        dataset.restore_shop(shop, setup.shop_quantities)
        progress("invsync: full sync, several rows per write request")
        multi = run_engine(shop, setup.integration, args, batch_writes="auto")
        mismatches = report.check_shop(shop, rows)
    facts = report.Facts(args, database, setup, old, single, multi, mismatches)
    return report.lines(facts)


def prepare(shop, rows, args) -> report.Setup:
    """Ledger, integration and links (made by link_products, as an operator would)."""
    from integrations.linking import link_products

    started = time.monotonic()
    progress(f"building the ledger: {len(rows)} products")
    dataset.build_ledger(rows)
    integration = dataset.create_integration(
        shop,
        rate_limit=args.rate_limit or 1_000_000,
        concurrency=args.capacity or args.workers,
        chunk_size=args.chunk_size,
        reserve_orders=args.reserve_orders,
    )
    progress("linking SKUs to the shop's rows (link_products)")
    linked = link_products(integration)
    if len(linked.linked) != len(rows):
        raise SystemExit(f"linking made {len(linked.linked)} links for {len(rows)} products")
    quantities = dataset.shop_quantities(shop, rows)
    return report.Setup(integration, linked, time.monotonic() - started, quantities)


def run_old_way(shop, args) -> report.Way:
    """Push an evenly spread sample (or everything) the old way."""
    from bench.old_way import push_all
    from integrations.models import ProductLink
    from warehouse.selectors import stock_totals

    links = list(
        ProductLink.objects.order_by("pk").values_list(
            "product_id", "ps_product_id", "ps_combination_id"
        )
    )
    size = len(links) if args.baseline_sample <= 0 else min(args.baseline_sample, len(links))
    sample = [links[i * len(links) // size] for i in range(size)]
    totals = stock_totals([product_id for product_id, _p, _c in sample])
    targets = [(p, c, totals.get(product_id, 0)) for product_id, p, c in sample]
    shop.reset_counters()
    result = push_all(shop.api_url, shop.key, targets, workers=args.workers)
    return report.Way("old", result.products, result.seconds, shop.counters())


def run_engine(shop, integration, args, *, batch_writes: str) -> report.Way:
    """A full sync (or a sample of its chunks) from a fresh start: links marked clean, the
    integration's multi-row state as new, the limiter and the shop's rate window empty."""
    from integrations.models import BATCH_START, Integration
    from integrations.ratelimit import forget_local_states

    Integration.objects.filter(pk=integration.pk).update(
        batch_writes=batch_writes,
        batch_size=BATCH_START,
        batch_support=Integration.BatchSupport.UNKNOWN,
        batch_support_reason="",
        batch_support_checked_at=None,
    )
    integration.refresh_from_db()
    dataset.mark_links_clean()
    forget_local_states()
    shop.reset_counters()
    sample = args.single_sample_chunks if batch_writes == "off" else 0
    result = engine_run.run_full_sync(integration, workers=args.workers, sample_chunks=sample)
    return report.Way(batch_writes, result.products, result.seconds, shop.counters(), result)


if __name__ == "__main__":
    sys.exit(main())
