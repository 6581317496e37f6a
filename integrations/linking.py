"""Linking ledger products to a shop's stock rows: by SKU, then by EAN (a file: link_import).

PrestaShop's `reference` is not unique and MySQL compares it case- and trailing-space-
insensitively (reference §5), so candidates are found by the stripped, casefolded value and
a link is made only when exactly one shop item answers. A product with combinations keeps
its sellable stock on the combination rows (its own row is their sum), so only combinations
are linked for it. New links are created dirty: the next sync pushes the ledger's quantity.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.engine import shop
from integrations.models import Integration, ProductLink
from integrations.prestashop import CatalogueItem
from warehouse.models import Product

FIELDS = ("reference", "ean13")  # match order: the SKU first, the EAN only when it found nothing
SHOWN_CANDIDATES = 5
Row = tuple[int, int]  # (ps_product_id, ps_combination_id)


class LinkingError(Exception):
    """Links could not be created (e.g. someone linked the same rows meanwhile)."""


@dataclass(frozen=True)
class LocalProduct:
    id: int
    sku: str
    ean: str = ""


@dataclass(frozen=True)
class Match:
    product_id: int
    sku: str
    ps_product_id: int
    ps_combination_id: int
    by: str = "reference"  # or "ean13", or "file"

    @property
    def row(self) -> Row:
        return (self.ps_product_id, self.ps_combination_id)


@dataclass(frozen=True)
class Skipped:
    sku: str
    reason: str


@dataclass
class LinkReport:
    linked: list[Match] = field(default_factory=list)
    already_linked: list[Skipped] = field(default_factory=list)
    unmatched: list[Skipped] = field(default_factory=list)
    ambiguous: list[Skipped] = field(default_factory=list)
    has_combinations: list[Skipped] = field(default_factory=list)
    conflicts: list[Skipped] = field(default_factory=list)
    requests: int = 0  # HTTP requests the catalogue read took
    dry_run: bool = False


def normalize(value: str) -> str:
    """How MySQL's _ci collations compare: case and surrounding spaces do not count."""
    return (value or "").strip().casefold()


def describe_row(row: Row) -> str:
    """ "product 12" or "product 12, combination 45"."""
    if row[1]:
        return _("product %(product)d, combination %(combination)d") % {
            "product": row[0],
            "combination": row[1],
        }
    return _("product %(product)d") % {"product": row[0]}


class Catalogue:
    """The shop's products and combinations, indexed by normalized reference and EAN."""

    def __init__(self, items: Iterable[CatalogueItem]):
        self.index: dict[str, dict[str, list[CatalogueItem]]] = {
            f: defaultdict(list) for f in FIELDS
        }
        self.with_combinations: set[int] = set()
        for item in items:
            if item.id_product_attribute:
                self.with_combinations.add(item.id_product)
            for name in FIELDS:
                key = normalize(getattr(item, name))
                if key and (name == "reference" or key.strip("0")):  # all zeros: no EAN
                    self.index[name][key].append(item)

    def sellable(self, item: CatalogueItem) -> bool:
        """A stock target: a combination, or a product without combinations."""
        return bool(item.id_product_attribute) or item.id_product not in self.with_combinations

    def find(self, name: str, value: str) -> list[CatalogueItem]:
        """Shop items whose field equals the value as the shop's database would compare it."""
        key = normalize(value)
        return self.index[name].get(key, []) if key else []


def resolve(product: LocalProduct, catalogue: Catalogue) -> tuple[str, Match | Skipped]:
    """Where one product goes: ("linked", Match) or (problem kind, Skipped).

    The row of a product that has combinations is no stock target (it holds their sum): it
    is passed over when a sellable item matches too, and reported when it alone matches.
    """
    for name, value in (("reference", product.sku), ("ean13", product.ean)):
        found = catalogue.find(name, value)
        sellable = [item for item in found if catalogue.sellable(item)]
        if len(sellable) == 1:
            return "linked", Match(product.id, product.sku, *_row(sellable[0]), by=name)
        if len(found) == 1:
            reason = _("product %(product)d has combinations; link its combinations instead")
            return "has_combinations", Skipped(
                product.sku, reason % {"product": found[0].id_product}
            )
        if found:
            rows = "; ".join(describe_row(_row(i)) for i in found[:SHOWN_CANDIDATES])
            more = "…" if len(found) > SHOWN_CANDIDATES else ""
            reason = _("%(field)s %(value)s matches %(count)d shop items: %(rows)s") % {
                "field": name,
                "value": value,
                "count": len(found),
                "rows": rows + more,
            }
            return "ambiguous", Skipped(product.sku, reason)
    reason = _("no shop product or combination with this SKU or EAN")
    return "unmatched", Skipped(product.sku, reason)


def match_products(
    products: Iterable[LocalProduct],
    items: Iterable[CatalogueItem],
    *,
    existing: dict[int, Row] | None = None,
    taken: dict[Row, str] | None = None,
) -> LinkReport:
    """Match products to shop items (pure). `existing`: product id -> its linked row;
    `taken`: linked row -> the SKU holding it."""
    existing, taken = existing or {}, taken or {}
    catalogue, report = Catalogue(items), LinkReport()
    candidates: list[Match] = []
    for product in products:
        if product.id in existing:
            reason = _("already linked to %(row)s") % {"row": describe_row(existing[product.id])}
            report.already_linked.append(Skipped(product.sku, reason))
            continue
        kind, outcome = resolve(product, catalogue)
        if kind == "linked":
            candidates.append(outcome)
        else:
            getattr(report, kind).append(outcome)
    _split_conflicts(candidates, taken, report)
    return report


def _split_conflicts(candidates: list[Match], taken: dict[Row, str], report: LinkReport):
    claims: dict[Row, list[Match]] = defaultdict(list)
    for match in candidates:
        claims[match.row].append(match)
    for match in candidates:
        others = [m.sku for m in claims[match.row] if m is not match]
        if match.row in taken:
            reason = _("%(row)s is already linked to SKU %(sku)s") % {
                "row": describe_row(match.row),
                "sku": taken[match.row],
            }
        elif others:
            reason = _("%(row)s also matches SKU %(skus)s") % {
                "row": describe_row(match.row),
                "skus": ", ".join(others),
            }
        else:
            report.linked.append(match)
            continue
        report.conflicts.append(Skipped(match.sku, reason))


def link_products(integration: Integration, *, dry_run: bool = False, client=None) -> LinkReport:
    """Read the shop's catalogue in bulk, match every unlinked product, create the links."""
    own_client = client is None
    client = client or shop.client_for(integration)
    try:
        before = client.requests_sent
        items = list(client.iter_catalogue())
        requests = client.requests_sent - before
    finally:
        if own_client:
            client.close()
    existing, taken = existing_links(integration)
    report = match_products(local_products(), items, existing=existing, taken=taken)
    report.requests, report.dry_run = requests, dry_run
    if not dry_run:
        create_links(integration, report.linked)
    return report


def local_products() -> list[LocalProduct]:
    """Every ledger product, as the matcher needs it."""
    rows = Product.objects.order_by("sku").values_list("pk", "sku", "ean")
    return [LocalProduct(*row) for row in rows]


def existing_links(integration: Integration) -> tuple[dict[int, Row], dict[Row, str]]:
    """The integration's links: product id -> row, and row -> SKU."""
    links = integration.links.values_list(
        "product_id", "product__sku", "ps_product_id", "ps_combination_id"
    )
    by_product, by_row = {}, {}
    for product_id, sku, *row in links:
        by_product[product_id] = tuple(row)
        by_row[tuple(row)] = sku
    return by_product, by_row


def create_links(integration: Integration, matches: Iterable[Match]) -> int:
    """Create dirty links for the matches, all in one transaction or none."""
    now = timezone.now()
    links = [
        ProductLink(
            integration=integration,
            product_id=match.product_id,
            ps_product_id=match.ps_product_id,
            ps_combination_id=match.ps_combination_id,
            dirty=True,
            state=ProductLink.State.DIRTY,
            dirty_since=now,
        )
        for match in matches
    ]
    if not links:
        return 0
    try:
        with transaction.atomic():
            ProductLink.objects.bulk_create(links, batch_size=500)
    except IntegrityError as exc:
        raise LinkingError(
            _("Products or shop rows were linked meanwhile; nothing was linked. Run again.")
        ) from exc
    return len(links)


def _row(item: CatalogueItem) -> Row:
    return (item.id_product, item.id_product_attribute)
