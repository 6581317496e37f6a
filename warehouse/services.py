"""The only code that changes stock: creating, approving and cancelling documents.

approve() and cancel() each run in one transaction: lock the document, re-check its status,
lock the affected balances (warehouse.locks), refuse anything that would leave the ledger
wrong (below zero, above PrestaShop's limit), then write movements and balances and send
``stock_changed``. A refusal raises a warehouse.exceptions error and, because everything is
inside that transaction, writes nothing. Balances are keyed (warehouse id, product id): an
MM transfer books out of its warehouse and into its target in the same transaction.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from warehouse.bounds import MAX_QUANTITY
from warehouse.exceptions import (
    DocumentStateError,
    ExcessLine,
    InsufficientStock,
    InvalidDocument,
    ShortLine,
    StockLimitExceeded,
)
from warehouse.locks import Key, lock_balances, lock_document
from warehouse.models import Document, DocumentLine, Product, StockLevel, StockMovement, Warehouse
from warehouse.numbering import next_document_number
from warehouse.signals import stock_changed
from warehouse.validation import check_header, check_lines

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
    target_warehouse: Warehouse | None = None,
    reason: str = "",
    user=None,
    origin: str = Document.Origin.MANUAL,
    note: str = "",
) -> Document:
    """Create a draft document with its lines and a fresh number; refuse invalid ones.

    ``target_warehouse`` is where an MM transfer's goods go (``warehouse`` is where they
    leave); ``reason`` is one of Document.Reason for IN and OUT documents.
    """
    if kind not in Document.Kind.values:
        raise InvalidDocument([_("Unknown document kind %(kind)s.") % {"kind": kind}])
    document = Document(
        kind=kind,
        warehouse=warehouse,
        target_warehouse=target_warehouse,
        reason=reason,
        origin=origin,
        note=note,
        created_by=user,
    )
    check_header(document)
    resolved = _resolve_products(list(lines))
    check_lines(kind, resolved)
    document.number = next_document_number(kind)
    document.save()
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
        check_header(doc)
        lines = list(doc.lines.select_related("product"))
        check_lines(doc.kind, [(line.product, line.quantity) for line in lines])
        levels = lock_balances(
            (warehouse_id, line.product_id) for warehouse_id in doc.warehouse_ids for line in lines
        )
        deltas = _approval_deltas(doc, lines, levels)
        _book_and_stamp(doc, deltas, levels, status=Document.Status.APPROVED, user=user)
    _copy_state(doc, document)
    return doc


def cancel(document: Document, *, user) -> Document:
    """Book the exact reverse of an approved document and mark it cancelled."""
    with transaction.atomic():
        doc = lock_document(document.pk)
        if doc.status != Document.Status.APPROVED:
            raise DocumentStateError(_not_cancellable_message(doc))
        deltas = {key: -total for key, total in booked_totals(doc).items() if total}
        levels = lock_balances(deltas)
        _book_and_stamp(doc, deltas, levels, status=Document.Status.CANCELLED, user=user)
    _copy_state(doc, document)
    return doc


def booked_totals(document: Document) -> dict[Key, int]:
    """The net change the document's movements booked, per (warehouse id, product id)."""
    rows = (
        document.movements.order_by()
        .values("warehouse_id", "product_id")
        .annotate(total=Sum("delta"))
        .values_list("warehouse_id", "product_id", "total")
    )
    return {(warehouse_id, product_id): total for warehouse_id, product_id, total in rows}


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
    doc: Document, lines: list[DocumentLine], levels: dict[Key, StockLevel]
) -> dict[Key, int]:
    """Signed change per balance; an INW line equal to the balance changes nothing."""
    source = doc.warehouse_id
    if doc.kind in INCOMING:
        return {(source, line.product_id): line.quantity for line in lines}
    if doc.kind in OUTGOING:
        return {(source, line.product_id): -line.quantity for line in lines}
    if doc.kind == Document.Kind.MM:
        deltas = {(source, line.product_id): -line.quantity for line in lines}
        deltas.update({(doc.target_warehouse_id, line.product_id): line.quantity for line in lines})
        return deltas
    deltas = {
        (source, line.product_id): line.quantity - levels[source, line.product_id].quantity
        for line in lines
    }
    return {key: delta for key, delta in deltas.items() if delta}


def _book_and_stamp(
    doc: Document, deltas: dict[Key, int], levels: dict[Key, StockLevel], *, status: str, user
) -> None:
    """Book the deltas, record the new status with when and by whom, tell the receivers."""
    _refuse_out_of_bounds(doc, deltas, levels)
    _book(doc, deltas, levels)
    at_field, by_field = _STAMP_FIELDS[status]
    doc.status = status
    setattr(doc, at_field, timezone.now())
    setattr(doc, by_field, user)
    doc.save(update_fields=["status", at_field, by_field])
    _announce(doc, deltas)


def _refuse_out_of_bounds(
    doc: Document, deltas: dict[Key, int], levels: dict[Key, StockLevel]
) -> None:
    """Raise if any balance would go below zero (first) or above the limit."""
    after = {key: levels[key].quantity + delta for key, delta in deltas.items()}
    short = sorted(key for key, value in after.items() if value < 0)
    over = sorted(key for key, value in after.items() if value > MAX_QUANTITY)
    if not short and not over:
        return
    keys = short or over
    skus = dict(Product.objects.filter(pk__in={p for _w, p in keys}).values_list("id", "sku"))
    codes = {doc.warehouse_id: doc.warehouse.code}
    if doc.target_warehouse_id is not None:
        codes[doc.target_warehouse_id] = doc.target_warehouse.code
    where = ", ".join(sorted({codes[w] for w, _p in keys}))
    keys.sort(key=lambda key: (skus[key[1]], codes[key[0]]))
    if short:
        lines = [ShortLine(p, skus[p], levels[w, p].quantity, -deltas[w, p]) for w, p in keys]
        raise InsufficientStock(lines, warehouse_code=where)
    lines = [ExcessLine(p, skus[p], levels[w, p].quantity, deltas[w, p]) for w, p in keys]
    raise StockLimitExceeded(lines, warehouse_code=where)


def _book(doc: Document, deltas: dict[Key, int], levels: dict[Key, StockLevel]) -> None:
    """Write one movement per changed balance and the new balances."""
    StockMovement.objects.bulk_create(
        [
            StockMovement(warehouse_id=w, product_id=p, delta=delta, document=doc)
            for (w, p), delta in sorted(deltas.items())
        ],
        batch_size=_BATCH,
    )
    changed = []
    for key, delta in deltas.items():
        levels[key].quantity += delta
        changed.append(levels[key])
    StockLevel.objects.bulk_update(changed, ["quantity"], batch_size=_BATCH)


def _announce(doc: Document, deltas: dict[Key, int]) -> None:
    """Tell receivers (inside this transaction) which balances changed; nothing if none did.

    An MM names both of its warehouses, so every shop fed by either one follows.
    """
    if deltas:
        stock_changed.send(
            sender=Document,
            document=doc,
            product_ids=frozenset(p for _w, p in deltas),
            warehouse_ids=frozenset(w for w, _p in deltas),
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
