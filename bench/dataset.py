"""The benchmark's data: a generated shop catalogue and a ledger that differs by a chosen share.

The shop gets generated products (a share of them with 2-4 combinations). The ledger gets
one product per sellable shop row (a simple product or a combination), up to N, with the
shop's quantity as its balance, except for an exact `drift` share whose balance differs.
Balances are written straight into StockLevel: the ledger's own rules are not what is
measured here, and booking 17,800 opening lines through documents would only slow setup.
"""

import random
from dataclasses import dataclass

from prestashop_sim import catalogue

MAX_EXTRA = 20  # a drifted balance is the shop's quantity plus 1..MAX_EXTRA


@dataclass(frozen=True)
class Sellable:
    reference: str
    ean13: str
    shop_quantity: int
    ledger_quantity: int


def shop_items(n_links: int, *, combination_share: float, seed: int) -> list:
    """Generated catalogue items with at least `n_links` sellable rows."""
    # Every generated product has at least one sellable row, so N products are enough.
    return catalogue.generate(n_links, combination_share=combination_share, seed=seed)


def sellable_rows(items: list, n_links: int, *, drift: float, seed: int) -> list[Sellable]:
    """The first N sellable rows, an exact `drift` share of them with a different balance."""
    rows = []
    for item in items:
        if item.combinations:
            rows += [(c.reference, c.ean13, c.quantity) for c in item.combinations]
        else:
            rows.append((item.reference, item.ean13, item.quantity))
    rows = rows[:n_links]
    rng = random.Random(seed)
    drifted = set(rng.sample(range(len(rows)), round(len(rows) * drift)))
    return [
        Sellable(ref, ean, qty, qty + rng.randint(1, MAX_EXTRA) if i in drifted else qty)
        for i, (ref, ean, qty) in enumerate(rows)
    ]


def build_ledger(rows: list[Sellable]) -> dict[str, int]:
    """One warehouse and one product per row with its balance; returns {sku: product id}."""
    from django.db import transaction

    from warehouse.models import Product, StockLevel, Warehouse

    with transaction.atomic():
        warehouse = Warehouse.objects.create(code="BENCH", name="Benchmark warehouse")
        Product.objects.bulk_create(
            (Product(sku=r.reference, name=r.reference, ean=r.ean13) for r in rows),
            batch_size=1000,
        )
        ids = dict(Product.objects.values_list("sku", "pk"))
        StockLevel.objects.bulk_create(
            (
                StockLevel(
                    product_id=ids[r.reference], warehouse=warehouse, quantity=r.ledger_quantity
                )
                for r in rows
            ),
            batch_size=1000,
        )
    return ids


def create_integration(
    shop, *, rate_limit: int, concurrency: int, chunk_size: int, reserve_orders: bool = False
):
    """An integration pointing at the simulator, with the shop's rate limit as its budget."""
    from integrations.models import Integration

    return Integration.objects.create(
        name="Benchmark shop",
        shop_url=shop.url,
        api_key=shop.key,
        requests_per_minute=rate_limit,
        max_concurrent_requests=concurrency,
        chunk_size=chunk_size,
        mode=Integration.Mode.LOCAL_TO_PRESTA,
        # Off unless asked: reads the shop's orders before write passes (a simulator started
        # with read_orders serves them, with no orders placed).
        reserve_orders=reserve_orders,
    )


def mark_links_clean() -> int:
    """Links as a finished sync leaves them: the full sync must find the drift by itself."""
    from integrations.models import ProductLink

    return ProductLink.objects.update(dirty=False, state=ProductLink.State.OK, dirty_since=None)


def shop_quantities(shop, rows: list[Sellable]) -> dict[int, int]:
    """{stock row id: the shop's quantity before any sync} for every sellable row."""
    wanted = {row.reference: row.shop_quantity for row in rows}
    return {
        item["stock_ids"][0]: wanted[item["reference"]]
        for item in shop.catalogue()
        if item["reference"] in wanted and item["stock_ids"]
    }


def restore_shop(shop, quantities: dict[int, int]) -> None:
    """Put the shop's rows back as they were before a way synced them (the side endpoint's
    POST /_sim/stock, which the simulator does not count as webservice requests)."""
    import requests

    payload = {"quantities": {str(stock_id): q for stock_id, q in quantities.items()}}
    response = requests.post(f"{shop.url}_sim/stock", json=payload, timeout=120)
    response.raise_for_status()
