"""Linking ledger products to a shop's stock rows: by SKU, then by EAN, or from a CSV file.

PrestaShop's `reference` is not unique and MySQL compares it case- and trailing-space-
insensitively (reference §5), so candidates are found by the stripped, casefolded value and
a link is made only when exactly one shop item answers. A product with combinations keeps
its sellable stock on the combination rows (its own row is their sum), so only combinations
are linked for it. New links are created dirty: the next sync pushes the ledger's quantity.
"""

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import shop
from integrations.models import Integration, ProductLink
from integrations.prestashop import CatalogueItem
from warehouse.models import Product

FIELDS = ("reference", "ean13")  # match order: the SKU first, the EAN only when it found nothing
SHOWN_CANDIDATES = 5
Row = tuple[int, int]  # (ps_product_id, ps_combination_id)


class LinkingError(Exception):
    """Links could not be created (e.g. someone linked the same rows meanwhile)."""


class LinkImportRejected(LinkingError):
    """A links file has errors; `errors` lists each with its row number. Nothing was written."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


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


def import_links_csv(handle: TextIO, integration: Integration) -> LinkReport:
    """Create links from CSV (sku, ps_product_id, ps_combination_id): every row or none.

    Raises LinkImportRejected listing every error with its row number (the header is row 1).
    A row repeating a link that already exists is reported as already linked, not an error.
    """
    reader = csv.DictReader(handle)
    columns = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in CSV_REQUIRED if name not in columns]
    if missing:
        message = _("The file has no column(s): %(columns)s.") % {"columns": ", ".join(missing)}
        raise LinkImportRejected([message])
    reader.fieldnames = columns
    rows = [(number, raw) for number, raw in enumerate(reader, start=2)]
    skus = {(raw.get("sku") or "").strip() for _number, raw in rows}
    checker = _RowChecker(integration, Product.objects.in_bulk(skus - {""}, field_name="sku"))
    for number, raw in rows:
        checker.check(number, raw)
    if checker.errors:
        raise LinkImportRejected(checker.errors)
    create_links(integration, checker.report.linked)
    return checker.report


CSV_REQUIRED = ("sku", "ps_product_id", "ps_combination_id")


class _RowChecker:
    """Checks rows one by one against the ledger, the existing links and earlier rows."""

    def __init__(self, integration: Integration, products: dict[str, Product]):
        self.products = products
        self.existing, self.taken = existing_links(integration)
        self.seen_skus: dict[str, int] = {}
        self.seen_rows: dict[Row, int] = {}
        self.report, self.errors = LinkReport(), []

    def check(self, number: int, raw: dict) -> None:
        values = {key: (value or "").strip() for key, value in raw.items() if key is not None}
        errors = [_("more values than columns")] if None in raw else []
        product = self.products.get(values["sku"])
        if not values["sku"]:
            errors.append(_("the SKU is empty"))
        elif product is None:
            errors.append(_("no product with SKU %(sku)s") % {"sku": values["sku"]})
        ps_product_id = _whole_number(values["ps_product_id"], minimum=1)
        ps_combination_id = _whole_number(values["ps_combination_id"] or "0", minimum=0)
        if ps_product_id is None:
            errors.append(_("ps_product_id must be a whole number of at least 1"))
        if ps_combination_id is None:
            errors.append(_("ps_combination_id must be a whole number of at least 0 (or empty)"))
        if not errors:
            errors = self._check_link(number, product, (ps_product_id, ps_combination_id))
        self.errors += [
            _("Row %(row)d: %(error)s.") % {"row": number, "error": error} for error in errors
        ]

    def _check_link(self, number: int, product: Product, row: Row) -> list[str]:
        first = self.seen_skus.setdefault(product.sku, number)
        if first != number:
            return [
                _("SKU %(sku)s already appears on row %(first)d")
                % {"sku": product.sku, "first": first}
            ]
        first = self.seen_rows.setdefault(row, number)
        if first != number:
            return [
                _("%(row)s already appears on row %(first)d")
                % {"row": describe_row(row), "first": first}
            ]
        linked = self.existing.get(product.pk)
        if linked == row:
            reason = _("already linked to %(row)s") % {"row": describe_row(row)}
            self.report.already_linked.append(Skipped(product.sku, reason))
            return []
        if linked is not None:
            return [
                _("SKU %(sku)s is already linked to %(row)s")
                % {"sku": product.sku, "row": describe_row(linked)}
            ]
        if row in self.taken:
            return [
                _("%(row)s is already linked to SKU %(sku)s")
                % {"row": describe_row(row), "sku": self.taken[row]}
            ]
        self.report.linked.append(Match(product.pk, product.sku, *row, by="file"))
        return []


def _whole_number(text: str, *, minimum: int) -> int | None:
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value >= minimum else None
