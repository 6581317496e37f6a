"""The shop's catalogue and stock rows, indexed for fast filtered reads."""

import threading
from dataclasses import dataclass, fields

from prestashop_sim.shops import ShopLayout

NOW = "2024-06-12 10:00:00"


@dataclass(slots=True)
class StockRow:
    """One ps_stock_available row."""

    id: int
    id_product: int
    id_product_attribute: int
    id_shop: int
    id_shop_group: int
    quantity: int
    depends_on_stock: int = 0
    out_of_stock: int = 2
    location: str = ""

    def as_dict(self) -> dict:
        """Plain dict of the row's fields."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class Product:
    """A product with the fields a stock sync reads."""

    id: int
    reference: str = ""
    ean13: str = ""
    name: str = ""
    active: int = 1
    price: str = "19.990000"
    id_default_combination: int = 0
    quantity: int = 0  # legacy ps_product.quantity: set once, never follows stock writes
    id_manufacturer: int = 0
    id_supplier: int = 0
    id_category_default: int = 2
    cache_default_attribute: int = 0
    id_tax_rules_group: int = 1
    supplier_reference: str = ""
    isbn: str = ""
    upc: str = ""
    mpn: str = ""
    available_for_order: int = 1
    date_add: str = NOW
    date_upd: str = NOW

    @property
    def link_rewrite(self) -> str:
        """URL slug derived from the name."""
        return "-".join("".join(c if c.isalnum() else " " for c in self.name.lower()).split())


@dataclass(slots=True)
class Combination:
    """A product combination (product_attribute)."""

    id: int
    id_product: int
    reference: str = ""
    ean13: str = ""
    quantity: int = 0  # legacy column shown on 1.7 only
    location: str = ""
    default_on: str = ""
    price: str = "0.000000"
    minimal_quantity: int = 1
    isbn: str = ""
    upc: str = ""
    mpn: str = ""
    supplier_reference: str = ""
    wholesale_price: str = "0.000000"
    ecotax: str = "0.000000"
    weight: str = "0.000000"
    unit_price_impact: str = "0.000000"
    low_stock_threshold: int = 0
    low_stock_alert: int = 0
    available_date: str = "0000-00-00"
    available_now: str = ""
    available_later: str = ""
    option_values: tuple[int, ...] = ()  # associations/product_option_values
    images: tuple[int, ...] = ()  # associations/images


class Store:
    """All entities of the shop; callers hold `lock` around reads and writes."""

    def __init__(self, layout: ShopLayout | None = None, *, languages: tuple[int, ...] = (1,)):
        self.lock = threading.RLock()
        self.layout = layout or ShopLayout()
        self.languages = languages  # every translated field has the same text in each
        self.products: dict[int, Product] = {}
        self.combinations: dict[int, Combination] = {}
        self.rows: dict[int, StockRow] = {}
        self.combinations_by_product: dict[int, list[int]] = {}
        self.rows_by_product: dict[int, dict[int, StockRow]] = {}
        self.rows_by_attribute: dict[int, dict[int, StockRow]] = {}
        self.hook_events: list[dict] = []  # actionUpdateQuantity emissions, in order
        self.row_saves = 0  # StockAvailable object saves (each fires the object hooks)

    def add_product(self, product: Product) -> Product:
        """Insert a product."""
        with self.lock:
            self.products[product.id] = product
            self.combinations_by_product.setdefault(product.id, [])
        return product

    def add_combination(self, combination: Combination) -> Combination:
        """Insert a combination of an existing product."""
        with self.lock:
            self.combinations[combination.id] = combination
            self.combinations_by_product.setdefault(combination.id_product, []).append(
                combination.id
            )
        return combination

    def add_row(self, row: StockRow) -> StockRow:
        """Insert a stock row."""
        with self.lock:
            self.rows[row.id] = row
            self._index(row)
        return row

    def next_row_id(self) -> int:
        """Auto-increment value for a new stock row."""
        return max(self.rows, default=0) + 1

    def _index(self, row: StockRow) -> None:
        self.rows_by_product.setdefault(row.id_product, {})[row.id] = row
        self.rows_by_attribute.setdefault(row.id_product_attribute, {})[row.id] = row

    def _unindex(self, row: StockRow) -> None:
        self.rows_by_product.get(row.id_product, {}).pop(row.id, None)
        self.rows_by_attribute.get(row.id_product_attribute, {}).pop(row.id, None)

    def update_row(self, row: StockRow, values: dict) -> None:
        """Write field values onto a row, keeping the indexes right when its ids move."""
        with self.lock:
            self._unindex(row)
            for name, value in values.items():
                setattr(row, name, value)
            self._index(row)

    def delete_product(self, product_id: int) -> bool:
        """Remove a product with its combinations and stock rows (as a BO deletion does)."""
        with self.lock:
            if self.products.pop(product_id, None) is None:
                return False
            for cid in self.combinations_by_product.pop(product_id, []):
                self.combinations.pop(cid, None)
            for row in list(self.rows_by_product.get(product_id, {}).values()):
                self._unindex(row)
                del self.rows[row.id]
            self.rows_by_product.pop(product_id, None)
            return True

    def table(self, resource: str) -> dict[int, object]:
        """Entities of a served resource by id."""
        if resource == "shops":
            return self.layout.shops
        if resource == "shop_groups":
            return self.layout.groups
        return {
            "stock_availables": self.rows,
            "products": self.products,
            "combinations": self.combinations,
        }[resource]

    def index_lookup(self, resource: str, field: str, values: set[int]) -> list | None:
        """Entities whose indexed int field is in `values`, or None if the field has no index."""
        if field == "id":
            table = self.table(resource)
            return [table[v] for v in sorted(values) if v in table]
        if resource == "stock_availables" and field in ("id_product", "id_product_attribute"):
            index = self.rows_by_product if field == "id_product" else self.rows_by_attribute
            # MySQL walks the column's secondary index: by that column, then by id (01).
            found = [row for v in values for row in index.get(v, {}).values()]
            return sorted(found, key=lambda row: (getattr(row, field), row.id))
        if resource == "combinations" and field == "id_product":
            ids = [cid for v in values for cid in self.combinations_by_product.get(v, [])]
            return [self.combinations[cid] for cid in sorted(ids)]
        return None

    def row_visible(self, row: StockRow, shop_ids: frozenset[int]) -> bool:
        """True if the row belongs to the context shops."""
        return self.layout.row_visible(row.id_shop, row.id_shop_group, shop_ids)

    def product_row(self, product_id: int, scope: tuple[int, int]) -> StockRow | None:
        """The product-level row (attribute 0) of a product in a stock scope."""
        for row in self.rows_by_product.get(product_id, {}).values():
            if row.id_product_attribute == 0 and (row.id_shop, row.id_shop_group) == scope:
                return row
        return None
