"""Checks on a document's header and lines, shared by create_document() and approve()."""

from django.utils.translation import gettext as _

from warehouse.bounds import MAX_QUANTITY, limit_text
from warehouse.exceptions import InvalidDocument
from warehouse.models import Document, Product


def is_whole_number(value) -> bool:
    """True for a real int (not a bool, not a float that happens to be whole)."""
    return isinstance(value, int) and not isinstance(value, bool)


def line_problems(kind: str, lines: list[tuple[Product, object]]) -> list[str]:
    """Every problem with (product, quantity) lines for a document of ``kind``; [] if none."""
    if not lines:
        return [_("The document has no lines.")]
    problems = []
    seen = set()
    for product, quantity in lines:
        if product.pk in seen:
            problems.append(
                _("Product %(sku)s appears on the document more than once.") % {"sku": product.sku}
            )
        seen.add(product.pk)
        if not product.active:
            problems.append(_("Product %(sku)s is inactive.") % {"sku": product.sku})
        problems.extend(_quantity_problems(kind, product, quantity))
    return problems


def _quantity_problems(kind: str, product: Product, quantity) -> list[str]:
    values = {"sku": product.sku, "quantity": quantity}
    if kind == Document.Kind.INW:
        if not is_whole_number(quantity) or quantity < 0:
            return [
                _(
                    "Product %(sku)s: the counted quantity must be a whole number of 0 or more, "
                    "not %(quantity)s."
                )
                % values
            ]
    elif not is_whole_number(quantity) or quantity <= 0:
        return [
            _(
                "Product %(sku)s: the quantity must be a whole number greater than 0, "
                "not %(quantity)s."
            )
            % values
        ]
    if quantity > MAX_QUANTITY:
        return [
            _("Product %(sku)s: the quantity %(quantity)s is above the limit of %(limit)s.")
            % {**values, "limit": limit_text()}
        ]
    return []


def check_lines(kind: str, lines: list[tuple[Product, object]]) -> None:
    """Raise InvalidDocument naming every problem with the lines."""
    problems = line_problems(kind, lines)
    if problems:
        raise InvalidDocument(problems)


def check_header(document: Document) -> None:
    """Raise InvalidDocument if the target warehouse or the reason does not fit the kind."""
    errors = document.header_errors()
    if errors:
        raise InvalidDocument([str(message) for message in errors.values()])
