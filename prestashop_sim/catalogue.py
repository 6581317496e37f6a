"""Catalogue generator and loader: products, combinations and their stock rows."""

import random
from dataclasses import dataclass, field

from prestashop_sim.store import Combination, Product, StockRow, Store


@dataclass
class CombinationItem:
    """A combination to load; ids are assigned when None."""

    reference: str
    ean13: str = ""
    quantity: int = 0
    location: str = ""
    id: int | None = None
    stock_id: int | None = None
    option_values: tuple[int, ...] = ()
    images: tuple[int, ...] = ()


@dataclass
class Item:
    """A product to load; with combinations its product row holds their sum."""

    reference: str
    ean13: str = ""
    quantity: int = 0
    combinations: list[CombinationItem] = field(default_factory=list)
    name: str = ""
    id: int | None = None
    stock_id: int | None = None
    location: str = ""
    active: bool = True
    out_of_stock: int = 2


def ean13(number: int, *, prefix: str = "590") -> str:
    """A valid-looking EAN-13: prefix, zero-padded number, check digit."""
    body = (prefix + str(number).zfill(12 - len(prefix)))[:12]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def generate(
    n_products: int,
    *,
    combination_share: float = 0.2,
    combinations: tuple[int, int] = (2, 4),
    seed: int = 1,
    max_quantity: int = 100,
    zero_share: float = 0.1,
) -> list[Item]:
    """N products "SKU-000001"..., a share of them with 2-4 combinations "SKU-000001-1"..."""
    rng = random.Random(seed)

    def quantity() -> int:
        return 0 if rng.random() < zero_share else rng.randint(1, max_quantity)

    items = []
    for n in range(1, n_products + 1):
        reference = f"SKU-{n:06d}"
        item = Item(reference, ean13(n * 10), name=f"Product {n}")
        if rng.random() < combination_share:
            count = rng.randint(*combinations)
            item.combinations = [
                CombinationItem(f"{reference}-{k}", ean13(n * 10 + k), quantity())
                for k in range(1, count + 1)
            ]
        else:
            item.quantity = quantity()
        items.append(item)
    return items


def item_from_dict(data: dict) -> Item:
    """An Item from plain data (reference, ean13, quantity, combinations: [...], ...)."""
    data = dict(data)
    combos = [_combination_item(c) for c in data.pop("combinations", [])]
    return Item(**data, combinations=combos)


def _combination_item(data: dict) -> CombinationItem:
    data = dict(data)
    for name in ("option_values", "images"):
        data[name] = tuple(data.get(name, ()))
    return CombinationItem(**data)


def section9_items() -> list[Item]:
    """The shop of the reference's wire examples: product 7 (31, 32) and simple product 8."""
    return [
        Item(
            "DEMO-7",
            ean13(70),
            id=7,
            stock_id=21,
            name="Product seven",
            combinations=[
                CombinationItem("DEMO-7-31", ean13(731), 10, "A-01", id=31, stock_id=22),
                CombinationItem("DEMO-7-32", ean13(732), 5, id=32, stock_id=23),
            ],
        ),
        Item("DEMO-8", ean13(80), 0, id=8, stock_id=24, name="Product eight"),
    ]


class _Ids:
    """Auto-increment that jumps past explicitly given ids."""

    def __init__(self, first: int):
        self.next = first

    def take(self, explicit: int | None) -> int:
        value = self.next if explicit is None else explicit
        self.next = max(self.next, value + 1)
        return value


def load(store: Store, items: list[Item | dict], *, first_product_id: int = 1) -> Store:
    """Add items with a product row and a row per combination in every stock scope.

    Rows of the first scope get the items' explicit stock ids; other scopes follow after.
    """
    product_ids = _Ids(max(store.products, default=first_product_id - 1) + 1)
    combo_ids = _Ids(max(store.combinations, default=0) + 1)
    row_ids = _Ids(store.next_row_id())
    scopes = store.layout.stock_scopes()
    with store.lock:
        loaded = []
        for raw in items:
            item = item_from_dict(raw) if isinstance(raw, dict) else raw
            loaded.append(_load_item(store, item, product_ids, combo_ids))
        for number, scope in enumerate(scopes):
            for item, pid, total, combos in loaded:
                _add_rows(store, item, pid, total, combos, scope, row_ids, explicit=number == 0)
    return store


def _load_item(store, item: Item, product_ids, combo_ids) -> tuple:
    pid = product_ids.take(item.id)
    combos = [(combo_ids.take(c.id), c) for c in item.combinations]
    total = sum(c.quantity for c in item.combinations) if combos else item.quantity
    default = combos[0][0] if combos else 0
    product = Product(
        pid,
        reference=item.reference,
        ean13=item.ean13,
        name=item.name or item.reference,
        active=int(item.active),
        id_default_combination=default,
        cache_default_attribute=default,
        quantity=total,
    )
    store.add_product(product)
    for index, (cid, c) in enumerate(combos):
        default_on = "1" if index == 0 else ""
        combination = Combination(cid, pid, c.reference, c.ean13, c.quantity, c.location)
        combination.default_on = default_on
        combination.option_values, combination.images = c.option_values, c.images
        store.add_combination(combination)
    return item, pid, total, combos


def _add_rows(store, item, pid, total, combos, scope, row_ids, *, explicit: bool) -> None:
    id_shop, id_group = scope
    first_id = row_ids.take(item.stock_id if explicit else None)
    rows = [
        StockRow(first_id, pid, 0, id_shop, id_group, total, 0, item.out_of_stock, item.location)
    ]
    for cid, c in combos:
        row_id = row_ids.take(c.stock_id if explicit else None)
        rows.append(
            StockRow(
                row_id, pid, cid, id_shop, id_group, c.quantity, 0, item.out_of_stock, c.location
            )
        )
    for row in rows:
        if row.id in store.rows:
            raise ValueError(f"stock row id {row.id} is used twice")
        store.add_row(row)
