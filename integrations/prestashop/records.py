"""What the client returns: plain frozen dataclasses, no Django."""

from dataclasses import dataclass, field

from .errors import PrestaShopError, ShopPermanentError, WriteNotApplied

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
    address_form: str = "api"  # "api" (/api/..., URL rewriting) or "dispatcher" (no rewriting)
    endpoint: str = ""  # the webservice address that answered, e.g. https://shop/api/


@dataclass(frozen=True)
class BatchWrite:
    """The outcome of one multi-row write, every row accounted for, keyed by stock row id."""

    method: str  # "PATCH" or "PUT"
    written: dict[int, StockRow]  # the answer lists the row with the quantity sent
    not_applied: dict[int, WriteNotApplied]  # listed with another quantity (a module undid it)
    refused: dict[int, ShopPermanentError]  # not sent: the shop is known to reject it
    requests: int  # HTTP requests it took (a version probe, a refused PATCH included)


@dataclass(frozen=True)
class BatchSupport:
    """Whether the shop takes several rows in one PUT/PATCH (probe_batch_writes)."""

    supported: bool
    method: str  # the method probed ("PATCH" or "PUT"); "" when nothing could be sent
    reason: str = ""  # why not, in English (the error's text); "" when supported
    error: PrestaShopError | None = None  # the refusal, for describe_failure()
    requests: int = 0
