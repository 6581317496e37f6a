"""Links from a CSV file (sku, ps_product_id, ps_combination_id): every row checked, then all
links created or none."""

from typing import TextIO

from django.utils.translation import gettext as _

from integrations.linking import (
    LinkingError,
    LinkReport,
    Match,
    Row,
    Skipped,
    create_links,
    describe_row,
    existing_links,
)
from integrations.models import Integration
from invsync.csvfiles import FileRejected, numbered_rows
from warehouse.bounds import MAX_QUANTITY
from warehouse.models import Product

CSV_REQUIRED = ("sku", "ps_product_id", "ps_combination_id")


class LinkImportRejected(FileRejected, LinkingError):
    """A links file has errors; `errors` lists each with its row number. Nothing was written."""


def import_links_csv(handle: TextIO, integration: Integration) -> LinkReport:
    """Create links from CSV (sku, ps_product_id, ps_combination_id): every row or none.

    Raises LinkImportRejected listing every error with its row number (the header is row 1).
    A row repeating a link that already exists is reported as already linked, not an error.
    """
    rows = list(numbered_rows(handle, CSV_REQUIRED, rejected=LinkImportRejected))
    skus = {(raw.get("sku") or "").strip() for _number, raw in rows}
    checker = _RowChecker(integration, Product.objects.in_bulk(skus - {""}, field_name="sku"))
    for number, raw in rows:
        checker.check(number, raw)
    if checker.errors:
        raise LinkImportRejected(checker.errors)
    create_links(integration, checker.report.linked)
    return checker.report


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
        errors = []
        product = self.products.get(values["sku"])
        if not values["sku"]:
            errors.append(_("the SKU is empty"))
        elif product is None:
            errors.append(_("no product with SKU %(sku)s") % {"sku": values["sku"]})
        ps_product_id = _whole_number(values["ps_product_id"], minimum=1)
        ps_combination_id = _whole_number(values["ps_combination_id"] or "0", minimum=0)
        if ps_product_id is None:
            errors.append(_("ps_product_id must be a whole number from 1 to 2147483647"))
        if ps_combination_id is None:
            errors.append(
                _("ps_combination_id must be a whole number from 0 to 2147483647 (or empty)")
            )
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
    """The whole number in ``text`` if it lies between ``minimum`` and PrestaShop's limit."""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_QUANTITY)):
        return None
    value = int(text)
    return value if minimum <= value <= MAX_QUANTITY else None
