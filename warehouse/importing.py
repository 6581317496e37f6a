"""Importing products from CSV: all rows checked first, then everything written or nothing."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.db import transaction
from django.utils.translation import gettext as _

from invsync.csvfiles import numbered_rows
from warehouse import services
from warehouse.bounds import MAX_QUANTITY, limit_text
from warehouse.exceptions import ImportRejected
from warehouse.models import Document, Product, StockLevel, Warehouse

REQUIRED_COLUMNS = ("sku", "name", "ean")
EAN_LENGTHS = (8, 12, 13, 14)


@dataclass(frozen=True)
class ProductRow:
    row: int
    sku: str
    name: str
    ean: str
    quantity: int
    warehouse_code: str


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    documents: list[Document] = field(default_factory=list)


def import_products_csv(
    handle: TextIO, *, default_warehouse: str = "", user=None, source: str = ""
) -> ImportResult:
    """Create or update products from CSV (sku,name,ean[,quantity,warehouse]).

    Opening quantities are booked as one approved PZ per warehouse. Raises ImportRejected
    listing every error with its row number (the header is row 1); then nothing is written.
    """
    numbered = numbered_rows(handle, REQUIRED_COLUMNS, rejected=ImportRejected)
    rows, errors = _parse_rows(numbered, default_warehouse)
    existing = Product.objects.in_bulk([row.sku for row in rows], field_name="sku")
    warehouses = Warehouse.objects.in_bulk(
        {row.warehouse_code for row in rows if row.quantity}, field_name="code"
    )
    errors += _reference_errors(rows, existing, warehouses)
    if errors:
        raise ImportRejected([text for _row, text in sorted(errors, key=lambda e: e[0])])
    with transaction.atomic():
        result = _write_products(rows, existing)
        result.documents = _book_opening_stock(rows, warehouses, user=user, source=source)
    return result


def _parse_rows(numbered: Iterable[tuple[int, dict]], default_warehouse: str) -> tuple[list, list]:
    rows, errors, seen = [], [], {}
    for number, raw in numbered:
        values = {key: value.strip() for key, value in raw.items()}
        row_errors = _value_errors(number, values)
        sku = values["sku"]
        if sku and sku in seen:
            row_errors.append(
                _("Row %(row)d: SKU %(sku)s already appears on row %(first)d.")
                % {"row": number, "sku": sku, "first": seen[sku]}
            )
        seen.setdefault(sku, number)
        quantity, quantity_error = _parse_quantity(number, values.get("quantity", ""))
        if quantity_error:
            row_errors.append(quantity_error)
        code = values.get("warehouse", "") or default_warehouse
        if quantity and not code:
            row_errors.append(
                _("Row %(row)d: a quantity needs a warehouse (a warehouse column or --warehouse).")
                % {"row": number}
            )
        if row_errors:
            errors += [(number, error) for error in row_errors]
        else:
            rows.append(ProductRow(number, sku, values["name"], values["ean"], quantity or 0, code))
    return rows, errors


def _value_errors(number: int, values: dict) -> list[str]:
    errors = []
    sku, name, ean = values["sku"], values["name"], values["ean"]
    if not sku:
        errors.append(_("Row %(row)d: the SKU is empty.") % {"row": number})
    elif len(sku) > Product._meta.get_field("sku").max_length:
        errors.append(_("Row %(row)d: the SKU %(sku)s is too long.") % {"row": number, "sku": sku})
    if not name:
        errors.append(_("Row %(row)d: the name is empty.") % {"row": number})
    elif len(name) > Product._meta.get_field("name").max_length:
        errors.append(_("Row %(row)d: the name is too long.") % {"row": number})
    if ean and not (ean.isdigit() and ean.isascii() and len(ean) in EAN_LENGTHS):
        errors.append(
            _("Row %(row)d: the EAN %(ean)s must be 8, 12, 13 or 14 digits.")
            % {"row": number, "ean": ean}
        )
    return errors


def _parse_quantity(number: int, value: str) -> tuple[int | None, str]:
    """(quantity, "") for an empty cell (0) or a whole number within the limit, else
    (None, the error)."""
    if not value:
        return 0, ""
    if not (value.isascii() and value.isdigit()):
        message = _("Row %(row)d: the quantity %(value)s is not a whole number of 0 or more.")
        return None, message % {"row": number, "value": value}
    if int(value) > MAX_QUANTITY:
        message = _("Row %(row)d: the quantity %(value)s is above the limit of %(limit)s.")
        return None, message % {"row": number, "value": value, "limit": limit_text()}
    return int(value), ""


def _reference_errors(rows: list[ProductRow], existing: dict, warehouses: dict) -> list:
    errors = _limit_errors(rows, existing, warehouses)
    for row in rows:
        if row.quantity and row.warehouse_code not in warehouses:
            message = _("Row %(row)d: there is no warehouse %(code)s.")
            errors.append((row.row, message % {"row": row.row, "code": row.warehouse_code}))
        product = existing.get(row.sku)
        if row.quantity and product is not None and not product.active:
            message = _("Row %(row)d: product %(sku)s is inactive; its quantity cannot be booked.")
            errors.append((row.row, message % {"row": row.row, "sku": row.sku}))
    return errors


def _limit_errors(rows: list[ProductRow], existing: dict, warehouses: dict) -> list:
    """Rows whose quantity would push a balance already held above the limit (one query)."""
    booked = [row for row in rows if row.quantity and row.sku in existing]
    if not booked:
        return []
    levels = StockLevel.objects.filter(
        product__in=[existing[row.sku] for row in booked],
        warehouse__in=[
            warehouses[code] for code in {r.warehouse_code for r in booked} & set(warehouses)
        ],
    ).values_list("product__sku", "warehouse__code", "quantity")
    held = {(sku, code): quantity for sku, code, quantity in levels}
    message = _(
        "Row %(row)d: %(sku)s already has %(held)d in %(warehouse)s; adding %(quantity)d "
        "would pass the limit of %(limit)s."
    )
    return [
        (
            row.row,
            message
            % {
                "row": row.row,
                "sku": row.sku,
                "held": held[row.sku, row.warehouse_code],
                "warehouse": row.warehouse_code,
                "quantity": row.quantity,
                "limit": limit_text(),
            },
        )
        for row in booked
        if held.get((row.sku, row.warehouse_code), 0) + row.quantity > MAX_QUANTITY
    ]


def _write_products(rows: list[ProductRow], existing: dict) -> ImportResult:
    result = ImportResult()
    new, changed = [], []
    for row in rows:
        product = existing.get(row.sku)
        if product is None:
            new.append(Product(sku=row.sku, name=row.name, ean=row.ean))
        elif (product.name, product.ean) != (row.name, row.ean):
            product.name, product.ean = row.name, row.ean
            changed.append(product)
        else:
            result.unchanged += 1
    Product.objects.bulk_create(new, batch_size=500)
    Product.objects.bulk_update(changed, ["name", "ean"], batch_size=500)
    result.created = [product.sku for product in new]
    result.updated = [product.sku for product in changed]
    return result


def _book_opening_stock(rows, warehouses, *, user, source) -> list[Document]:
    """One approved PZ per warehouse with the rows' quantities."""
    by_warehouse: dict[str, list[ProductRow]] = {}
    for row in rows:
        if row.quantity:
            by_warehouse.setdefault(row.warehouse_code, []).append(row)
    products = Product.objects.in_bulk([row.sku for row in rows if row.quantity], field_name="sku")
    note = _("Opening stock imported from %(file)s") % {"file": source} if source else ""
    documents = []
    # In warehouse-id order, the order every transaction locks balances in (warehouse.locks).
    for code, wh_rows in sorted(by_warehouse.items(), key=lambda item: warehouses[item[0]].pk):
        lines = [(products[row.sku], row.quantity) for row in wh_rows]
        document = services.create_document(
            Document.Kind.PZ, warehouses[code], lines, user=user, origin="import", note=note
        )
        documents.append(services.approve(document, user=user))
    return documents
