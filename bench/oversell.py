"""Oversell benchmark: units put back on sale after the shop sold them, without and with
reservations, in one run.

    .venv/bin/python bench/oversell.py                  # 1,000 products, 2 x 40 s
    .venv/bin/python bench/oversell.py --seconds 20     # quicker

A simulated shop takes orders at a steady rate while PZ documents are approved and a full
sync runs (bench/oversell_scene.py). Every second the whole shop is compared with the truth:
the ledger's balance minus the units of the orders placed more than --window seconds before
(the reservation window: an order newer than that may legitimately not be read yet). The scene
runs twice on fresh data with the same seed: invsync sending the bare balance (reservations
off, as before issue 14), then balance minus open reservations. The last lines print both.
Sized for a 2-core shared machine; DATABASE_URL naming a PostgreSQL server runs it there.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import dataset
from bench.django_env import django_environment


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--products", type=int, default=1000, help="linked products (1000)")
    p.add_argument("--seconds", type=float, default=40, help="length of each scene (40)")
    p.add_argument("--order-rate", type=float, default=4, help="orders per second (4)")
    p.add_argument("--document-rate", type=float, default=1, help="PZ per second (1)")
    p.add_argument("--full-sync-after", type=float, default=5, help="seconds before it (5)")
    p.add_argument("--drain-every", type=float, default=0.5, help="live drains, seconds (0.5)")
    p.add_argument(
        "--periodic-read", type=float, default=5, help="periodic orders read, seconds (5)"
    )
    p.add_argument("--max-age", type=float, default=2, help="INVSYNC_ORDERS_MAX_AGE (2)")
    p.add_argument(
        "--window", type=float, default=8, help="reservation window not counted, seconds (8)"
    )
    p.add_argument("--chunk-size", type=int, default=250, help="links per chunk (250)")
    p.add_argument("--read-latency", type=float, default=0.01, help="seconds per GET (0.01)")
    p.add_argument("--write-latency", type=float, default=0.01, help="seconds per write (0.01)")
    p.add_argument("--seed", type=int, default=1)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    os.environ["INVSYNC_ORDERS_MAX_AGE"] = str(args.max_age)
    with django_environment(database_url=os.environ.get("DATABASE_URL", "")) as database:
        progress(f"database: {database}")
        without = run_scene(args, reserve=False)
        with_reservations = run_scene(args, reserve=True)
    print_results(args, without, with_reservations)
    return 0


def run_scene(args, *, reserve: bool):
    """Fresh ledger, fresh shop, one scene; returns its tally."""
    from bench.oversell_scene import Scene
    from prestashop_sim.testing import run_simulator_process

    wipe()
    items = dataset.shop_items(args.products, combination_share=0, seed=args.seed)
    rows = dataset.sellable_rows(items, args.products, drift=0, seed=args.seed)
    label = "with reservations" if reserve else "without reservations"
    progress(f"{label}: starting the simulator with {len(items)} products")
    with run_simulator_process(
        items=items,
        read_orders=True,
        read_latency=args.read_latency,
        write_latency=args.write_latency,
        seed=args.seed,
        timeout=120,
    ) as shop:
        integration, links = prepare(shop, rows, args, reserve=reserve)
        shop.reset_counters()
        progress(f"{label}: {args.seconds:.0f} s of orders, documents and a full sync")
        started = time.monotonic()
        tally = Scene(shop, integration, links, args=args, reserve=reserve).run()
        tally.shop_requests = shop.counters()["total"]
        progress(f"{label}: done in {time.monotonic() - started:.0f} s")
    return tally


def prepare(shop, rows, args, *, reserve: bool):
    """Ledger, integration, links; the shop already holds the ledger's quantities."""
    from integrations.engine import orders
    from integrations.linking import link_products

    dataset.build_ledger(rows)
    integration = dataset.create_integration(
        shop, rate_limit=1_000_000, concurrency=4, chunk_size=args.chunk_size
    )
    integration.reserve_orders = reserve
    integration.save(update_fields=["reserve_orders"])
    link_products(integration)
    dataset.mark_links_clean()
    if reserve:
        orders.refresh(integration, max_age=orders.max_age())  # the first read: where it stands
    stock_ids = {(r["id_product"], r["id_product_attribute"]): r["id"] for r in shop.stock_rows()}
    links = [
        (link.product_id, link.ps_product_id, stock_ids[(link.ps_product_id, 0)])
        for link in integration.links.all()
    ]
    return integration, links


def wipe() -> None:
    """Empty every table a scene fills (the ledger's PROTECT order respected)."""
    from integrations.models import Integration
    from warehouse.models import (
        Document,
        Product,
        Reservation,
        StockLevel,
        StockMovement,
        Warehouse,
    )

    Integration.objects.all().delete()
    Reservation.objects.all().delete()
    StockMovement.objects.all().delete()
    Document.objects.all().delete()
    StockLevel.objects.all().delete()
    Product.objects.all().delete()
    Warehouse.objects.all().delete()


def print_results(args, without, with_reservations) -> None:
    print(
        f"oversell: {args.products} products, {args.seconds:.0f} s per scene, "
        f"{args.order_rate:g} orders/s, {args.document_rate:g} PZ/s, a full sync, "
        f"orders read at most {args.max_age:g} s before a write, window {args.window:g} s"
    )
    scenes = (("without reservations", without), ("with reservations", with_reservations))
    for label, tally in scenes:
        print(
            f"  {label}: {tally.orders} orders ({tally.ordered_units} units), "
            f"{tally.documents} PZ, {tally.samples} samples, {tally.shop_requests} shop requests"
        )
    print()
    for label, tally in scenes:
        print(
            f"{label}: units on sale that were already sold: worst moment {tally.worst}, "
            f"unit-seconds {tally.unit_samples}, products affected {len(tally.products)}, "
            f"left after settling {tally.final_excess}"
        )


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
