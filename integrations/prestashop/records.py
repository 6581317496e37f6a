"""What the client returns: plain frozen dataclasses, no Django."""

from dataclasses import dataclass, field

# The fields of one stock_available, in the resource's own order. A 1.7 PUT must send every
# one of them back (reference §4.3: an omitted id_shop / id_shop_group / location is nulled).
STOCK_FIELDS = (
    "id",
    "id_product",
    "id_product_attribute",
    "id_shop",
    "id_shop_group",
    "quantity",
    "depends_on_stock",
    "out_of_stock",
    "location",
)


@dataclass(frozen=True)
class StockRow:
    id: int
    id_product: int
    id_product_attribute: int
    id_shop: int
    id_shop_group: int
    quantity: int
    depends_on_stock: int
    out_of_stock: int
    location: str

    @property
    def key(self) -> tuple[int, int]:
        """(id_product, id_product_attribute): how the engine finds a link's row."""
        return (self.id_product, self.id_product_attribute)


@dataclass(frozen=True)
class StockRead:
    rows: dict[tuple[int, int], StockRow]  # keyed by (id_product, id_product_attribute)
    missing_products: frozenset[int]  # requested product ids with no row at all
    requests: int  # HTTP requests it took


@dataclass(frozen=True)
class CatalogueItem:
    """A product (id_product_attribute 0) or a combination, for linking SKUs."""

    id_product: int
    id_product_attribute: int
    reference: str
    ean13: str


@dataclass(frozen=True)
class AccessReport:
    version: str  # PSWS-Version header, e.g. "8.1.7" or "1.7.8.11"
    resources: dict[str, set[str]]  # resource -> allowed methods ("GET", "PUT", ...)
    problems: list[str]  # English msgids; empty when the key can sync stock
    warnings: list[str] = field(default_factory=list)  # works, but not the best way
