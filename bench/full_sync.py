"""Full sync benchmark: the old way (3 requests per product) against invsync, in one run.

    .venv/bin/python bench/full_sync.py                       # 17,800 products (a few minutes)
    .venv/bin/python bench/full_sync.py --products 2000 --baseline-sample 200   # quick check

See bench/README.md for what every number means. The last lines print the ratios.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import dataset, engine_run, report
from bench.django_env import django_environment


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--products", type=int, default=17_800, help="linked products (default 17800)")
    p.add_argument(
        "--drift", type=float, default=0.1, help="share whose shop quantity differs (default 0.1)"
    )
    p.add_argument("--read-latency", type=float, default=0.02, help="seconds per GET (0.02)")
    p.add_argument("--write-latency", type=float, default=0.03, help="seconds per PUT/PATCH (0.03)")
    p.add_argument("--rate-limit", type=int, default=6000, help="shop's requests per minute (6000)")
    p.add_argument(
        "--capacity", type=int, default=4, help="requests the shop serves at once (4; 0 = any)"
    )
    p.add_argument("--workers", type=int, default=4, help="invsync chunk threads (default 4)")
    p.add_argument("--chunk-size", type=int, default=500, help="links per chunk (default 500)")
    p.add_argument(
        "--baseline-sample",
        type=int,
        default=500,
        help="products the old way really pushes; extrapolated to --products (0 = all)",
    )
    p.add_argument(
        "--combination-share",
        type=float,
        default=0.2,
        help="share of shop products with 2-4 combinations (default 0.2)",
    )
    p.add_argument("--ps-version", default="8.1.7", help="PrestaShop version to emulate")
    p.add_argument("--seed", type=int, default=1, help="seed of catalogue and drift")
    return p


def main(argv: list[str] | None = None) -> int:
    """Build the data, run both ways against one simulator process, print the ratios."""
    args = parser().parse_args(argv)
    if not 0 <= args.drift <= 1 or args.products < 1:
        raise SystemExit("--drift must be within 0..1 and --products at least 1")
    with django_environment(database_url=os.environ.get("DATABASE_URL", "")) as database:
        lines, ratios = measure(args, database)
    print("\n".join(lines))
    print()
    print("\n".join(ratios))
    return 0


def measure(args, database: str) -> tuple[list[str], list[str]]:
    """Everything that talks to the shop; returns (setup lines, ratio lines)."""
    from prestashop_sim.testing import run_simulator_process

    items = dataset.shop_items(
        args.products, combination_share=args.combination_share, seed=args.seed
    )
    rows = dataset.sellable_rows(items, args.products, drift=args.drift, seed=args.seed)
    progress(f"starting the simulator with {len(items)} shop products")
    with run_simulator_process(
        items=items,
        ps_version=args.ps_version,
        read_latency=args.read_latency,
        write_latency=args.write_latency,
        capacity=args.capacity or None,
        rate_limit=args.rate_limit or None,
        seed=args.seed,
        timeout=120,
    ) as shop:
        setup = prepare(shop, rows, args)
        progress("invsync: full sync")
        shop.reset_counters()
        engine = engine_run.run_full_sync(setup.integration, workers=args.workers)
        engine_counts = shop.counters()
        mismatches = report.check_shop(shop, rows)
        progress("old way: pushing the sample one product at a time")
        shop.reset_counters()
        old = run_old_way(shop, args)
        old_counts = shop.counters()
    facts = report.Facts(args, database, setup, engine, engine_counts, old, old_counts, mismatches)
    return report.setup_lines(facts), report.ratio_lines(facts)


def prepare(shop, rows, args):
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
    )
    progress("linking SKUs to the shop's rows (link_products)")
    shop.reset_counters()
    linked = link_products(integration)
    if len(linked.linked) != len(rows):
        raise SystemExit(f"linking made {len(linked.linked)} links for {len(rows)} products")
    dataset.mark_links_clean()
    return report.Setup(integration, linked, time.monotonic() - started)


def run_old_way(shop, args):
    """Push an evenly spread sample (or everything) the old way."""
    from bench.old_way import OldWay
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
    old = OldWay(shop.api_url, shop.key)
    try:
        return old.push_all(targets)
    finally:
        old.close()


def progress(message: str) -> None:
    """A progress line on stderr (stdout ends with the ratios)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
