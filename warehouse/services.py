"""The only code that changes stock: creating, approving and cancelling documents.

approve() and cancel() each run in one transaction: lock the document, re-check its status,
lock the affected balances (warehouse.locks), refuse anything that would leave the ledger
wrong, then write movements and balances and send ``stock_changed``. A refusal raises a
warehouse.exceptions error and, because everything is inside that transaction, writes nothing.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from warehouse.exceptions import DocumentStateError, InsufficientStock, InvalidDocument, ShortLine
from warehouse.locks import lock_document, lock_stock_levels
from warehouse.models import Document, DocumentLine, Product, StockLevel, StockMovement, Warehouse
from warehouse.numbering import next_document_number
from warehouse.signals import stock_changed
from warehouse.validation import check_lines

INCOMING = frozenset({Document.Kind.PZ, Document.Kind.IN})
OUTGOING = frozenset({Document.Kind.WZ, Document.Kind.OUT})
_BATCH = 500
# What approving and cancelling record besides the status: when, and by whom.
_STAMP_FIELDS = {
    Document.Status.APPROVED: ("approved_at", "approved_by"),
    Document.Status.CANCELLED: ("cancelled_at", "cancelled_by"),
}


@transaction.atomic
def create_document(
    kind: str,
    warehouse: Warehouse,
    lines: Iterable[tuple[Product | int, int]],
    *,
    user=None,
    origin: str = Document.Origin.MANUAL,
    note: str = "",
) -> Document:
    """Create a draft document with its lines and a fresh number; refuse invalid lines."""
    if kind not in Document.Kind.values:
        raise InvalidDocument([_("Unknown document kind %(kind)s.") % {"kind": kind}])
    resolved = _resolve_products(list(lines))
    check_lines(kind, resolved)
    document = Document.objects.create(
        number=next_document_number(kind),
        kind=kind,
        warehouse=warehouse,
        origin=origin,
        note=note,
        created_by=user,
    )
    DocumentLine.objects.bulk_create(
        [DocumentLine(document=document, product=p, quantity=q) for p, q in resolved],
        batch_size=_BATCH,
    )
    return document


def approve(document: Document, *, user) -> Document:
    """Book a draft document's lines into the ledger and mark it approved."""
    with transaction.atomic():
        doc = lock_document(document.pk)
        if doc.status != Document.Status.DRAFT:
            raise DocumentStateError(_not_approvable_message(doc))
        lines = list(doc.lines.select_related("product"))
        check_lines(doc.kind, [(line.product, line.quantity) for line in lines])
        levels = lock_stock_levels(doc.warehouse_id, [line.product_id for line in lines])
        deltas = _approval_deltas(doc.kind, lines, levels)
        _book_and_stamp(doc, deltas, levels, status=Document.Status.APPROVED, user=user)
    _copy_state(doc, document)
    return doc


def cancel(document: Document, *, user) -> Document:
    """Book the exact reverse of an approved document and mark it cancelled."""
    with transaction.atomic():
        doc = lock_document(document.pk)
        if doc.status != Document.Status.APPROVED:
            raise DocumentStateError(_not_cancellable_message(doc))
        booked = (
            doc.movements.order_by()
            .values("product_id")
            .annotate(total=Sum("delta"))
            .values_list("product_id", "total")
        )
        deltas = {product_id: -total for product_id, total in booked if total}
        levels = lock_stock_levels(doc.warehouse_id, deltas)
        _book_and_stamp(doc, deltas, levels, status=Document.Status.CANCELLED, user=user)
    _copy_state(doc, document)
    return doc


def _resolve_products(lines: list[tuple[Product | int, int]]) -> list[tuple[Product, int]]:
    """Turn product ids into Product objects (one query); refuse ids that do not exist."""
    ids = {item for item, _quantity in lines if not isinstance(item, Product)}
    found = Product.objects.in_bulk(ids) if ids else {}
    unknown = sorted(ids - set(found))
    if unknown:
        raise InvalidDocument(
            [_("Product id %(id)s does not exist.") % {"id": pid} for pid in unknown]
        )
    return [(item if isinstance(item, Product) else found[item], qty) for item, qty in lines]


def _approval_deltas(
    kind: str, lines: list[DocumentLine], levels: dict[int, StockLevel]
) -> dict[int, int]:
    """Signed change per product; an INW line equal to the balance changes nothing."""
    if kind in INCOMING:
        return {line.product_id: line.quantity for line in lines}
    if kind in OUTGOING:
        return {line.product_id: -line.quantity for line in lines}
    deltas = {line.product_id: line.quantity - levels[line.product_id].quantity for line in lines}
    return {product_id: delta for product_id, delta in deltas.items() if delta}


def _book_and_stamp(
    doc: Document, deltas: dict[int, int], levels: dict[int, StockLevel], *, status: str, user
) -> None:
    """Book the deltas, record the new status with when and by whom, tell the receivers."""
    _book(doc, deltas, levels)
    at_field, by_field = _STAMP_FIELDS[status]
    doc.status = status
    setattr(doc, at_field, timezone.now())
    setattr(doc, by_field, user)
    doc.save(update_fields=["status", at_field, by_field])
    _announce(doc, deltas)


def _book(doc: Document, deltas: dict[int, int], levels: dict[int, StockLevel]) -> None:
    """Refuse if any balance would go negative, else write movements and new balances."""
    short = {
        pid: ShortLine(pid, "", levels[pid].quantity, -delta)
        for pid, delta in deltas.items()
        if levels[pid].quantity + delta < 0
    }
    if short:
        skus = dict(Product.objects.filter(pk__in=short).values_list("id", "sku"))
        lines = [
            ShortLine(pid, skus[pid], line.available, line.required)
            for pid, line in sorted(short.items(), key=lambda item: skus[item[0]])
        ]
        raise InsufficientStock(lines, warehouse_code=doc.warehouse.code)
    StockMovement.objects.bulk_create(
        [
            StockMovement(product_id=pid, warehouse_id=doc.warehouse_id, delta=delta, document=doc)
            for pid, delta in sorted(deltas.items())
        ],
        batch_size=_BATCH,
    )
    changed = []
    for pid, delta in deltas.items():
        levels[pid].quantity += delta
        changed.append(levels[pid])
    StockLevel.objects.bulk_update(changed, ["quantity"], batch_size=_BATCH)


def _announce(doc: Document, deltas: dict[int, int]) -> None:
    """Tell receivers (inside this transaction) which balances changed; nothing if none did."""
    if deltas:
        stock_changed.send(
            sender=Document,
            document=doc,
            product_ids=frozenset(deltas),
            warehouse_ids=frozenset({doc.warehouse_id}),
        )


def _copy_state(source: Document, target: Document) -> None:
    """Let the caller's instance see the new status without another query."""
    for field in ("status", "approved_at", "approved_by", "cancelled_at", "cancelled_by"):
        setattr(target, field, getattr(source, field))


def _not_approvable_message(doc: Document) -> str:
    if doc.status == Document.Status.APPROVED:
        return _("Document %(number)s is already approved.") % {"number": doc.number}
    return _("Document %(number)s is cancelled and cannot be approved.") % {"number": doc.number}


def _not_cancellable_message(doc: Document) -> str:
    if doc.status == Document.Status.CANCELLED:
        return _("Document %(number)s is already cancelled.") % {"number": doc.number}
    return _(
        "Document %(number)s is a draft: only an approved document can be cancelled "
        "(a draft can simply be deleted)."
    ) % {"number": doc.number}
