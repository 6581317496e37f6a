"""The demo's shop: the ledger's demo catalogue as a PrestaShop catalogue, with drift.

Pure (no database, no HTTP): from the ledger's demo products it builds the simulator's
catalogue items. Some runs of consecutive products become the combinations of one shop
product (each combination's reference is the ledger SKU, as linking expects), the others are
simple products; a fixed share of the rows hold a quantity that differs from the ledger.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from demo.demo_data import DemoProduct

GROUP_SIZES = (2, 4)  # combinations per shop product that has them


@dataclass(frozen=True)
class Drift:
    sku: str
    shop: int  # the quantity the shop starts with
    ledger: int  # what the ledger says (all warehouses)


@dataclass
class DemoShop:
    items: list[dict]  # the simulator's catalogue-file items
    drift: dict[str, Drift] = field(default_factory=dict)  # by SKU
    combinations: int = 0  # ledger products that are a combination in the shop
    simple: int = 0  # ledger products that are a simple product in the shop

    @property
    def rows(self) -> int:
        """Shop stock rows that a ledger product is linked to."""
        return self.combinations + self.simple


def ledger_quantity(product: DemoProduct) -> int:
    """The product's opening stock over every warehouse (the demo shop is fed by all)."""
    return sum(product.quantities.values())


def drifted_quantity(ledger: int, rng: random.Random) -> int:
    """A shop quantity that differs from the ledger's, never negative."""
    delta = rng.choice((-5, -3, -2, -1, 1, 2, 3, 4, 6, 10))
    return ledger + delta if ledger + delta >= 0 else ledger - delta


def group_products(
    products: Sequence[DemoProduct], *, share: float, rng: random.Random
) -> list[list[DemoProduct]]:
    """Split the products, in order, into groups: singles, or runs of 2-4 that share a parent."""
    groups, index = [], 0
    while index < len(products):
        size = rng.randint(*GROUP_SIZES) if rng.random() < share / 3 else 1
        groups.append(list(products[index : index + size]))
        index += size
    return groups


def build_demo_shop(
    products: Sequence[DemoProduct],
    *,
    seed: int,
    drift_share: float = 0.12,
    combination_share: float = 0.25,
) -> DemoShop:
    """The shop catalogue for these ledger products; the same arguments give the same shop.

    ``combination_share`` is roughly the share of products that become combinations;
    ``drift_share`` is exactly the share (rounded) of rows whose quantity differs.
    """
    rng = random.Random(seed * 7919 + 1)
    drifting = set(rng.sample(range(len(products)), round(len(products) * drift_share)))
    shop = DemoShop(items=[])
    position = 0
    for group in group_products(products, share=combination_share, rng=rng):
        rows = []
        for product in group:
            quantity = ledger_quantity(product)
            if position in drifting:
                shop_quantity = drifted_quantity(quantity, rng)
                shop.drift[product.sku] = Drift(product.sku, shop_quantity, quantity)
                quantity = shop_quantity
            rows.append({"reference": product.sku, "ean13": product.ean, "quantity": quantity})
            position += 1
        if len(group) == 1:
            shop.items.append({**rows[0], "name": group[0].name})
            shop.simple += 1
        else:
            shop.items.append(parent_item(group, rows))
            shop.combinations += len(group)
    return shop


def parent_item(group: list[DemoProduct], combinations: list[dict]) -> dict:
    """A shop product whose combinations are the group's ledger products.

    Its own reference matches no SKU and it has no EAN: in PrestaShop the sellable stock of
    a product with combinations is on the combinations, so only they get linked.
    """
    first = group[0].sku
    return {
        "reference": f"{first}-V",
        "ean13": "",
        "name": " / ".join(product.name for product in group)[:120],
        "combinations": combinations,
    }
