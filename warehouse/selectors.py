"""Read-only queries over the ledger, shared by the admin, commands and integrations."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from warehouse.bounds import MAX_QUANTITY
from warehouse.models import Document, Reservation, ReservationLine, StockLevel, StockMovement


def stock_totals(
    product_ids: Iterable[int], *, warehouse_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Sum of balances per product over the given warehouses (all when None), one query.

    Products without any StockLevel row are absent from the result (callers treat them as 0).
    """
    levels = StockLevel.objects.filter(product_id__in=list(product_ids))
    if warehouse_ids is not None:
        levels = levels.filter(warehouse_id__in=list(warehouse_ids))
    rows = levels.values("product_id").annotate(total=Sum("quantity"))
    return {row["product_id"]: row["total"] for row in rows}


@dataclass(frozen=True)
class LedgerMismatch:
    """A balance that is not the sum of its movements."""

    product_id: int
    sku: str
    warehouse_id: int
    warehouse_code: str
    quantity: int | None  # the StockLevel's quantity; None when the row is missing
    booked: int  # the sum of the movements

    @property
    def difference(self) -> int:
        return (self.quantity or 0) - self.booked


def ledger_mismatches() -> list[LedgerMismatch]:
    """Every balance that differs from the sum of its movements (one aggregate query each way).

    The first query compares every StockLevel with its movements' sum; the second finds
    movements whose balance row is missing altogether.
    """
    booked = (
        StockMovement.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
        .order_by()
        .values("product", "warehouse")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    wrong = (
        StockLevel.objects.annotate(booked=Coalesce(Subquery(booked), 0))
        .exclude(quantity=F("booked"))
        .values_list(
            "product_id", "product__sku", "warehouse_id", "warehouse__code", "quantity", "booked"
        )
    )
    orphans = (
        StockMovement.objects.order_by()
        .values("product_id", "warehouse_id")
        .annotate(total=Sum("delta"))
        .filter(
            ~Exists(
                StockLevel.objects.filter(
                    product=OuterRef("product"), warehouse=OuterRef("warehouse")
                )
            )
        )
        .values_list("product_id", "product__sku", "warehouse_id", "warehouse__code", "total")
    )
    found = [LedgerMismatch(*row) for row in wrong]
    found += [
        LedgerMismatch(pid, sku, wid, code, None, total) for pid, sku, wid, code, total in orphans
    ]
    return sorted(found, key=lambda m: (m.sku, m.warehouse_code))


def reserved_totals(
    product_ids: Iterable[int], *, warehouse_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Units held by open reservations per product in the given warehouses (all when None).

    One aggregate query; products holding nothing are absent (callers treat them as 0).
    """
    lines = ReservationLine.objects.filter(
        product_id__in=list(product_ids), reservation__status=Reservation.Status.OPEN
    )
    if warehouse_ids is not None:
        lines = lines.filter(reservation__warehouse_id__in=list(warehouse_ids))
    rows = lines.order_by().values("product_id").annotate(total=Sum("quantity"))
    return {row["product_id"]: row["total"] for row in rows}


def available_totals(
    product_ids: Iterable[int], *, warehouse_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Balance minus open reservations per product in the given warehouses (all when None).

    Negative where the reservations exceed the balance (check_ledger reports it); products
    with neither a balance nor a reservation are absent.
    """
    ids = list(product_ids)
    available = stock_totals(ids, warehouse_ids=warehouse_ids)
    for product_id, reserved in reserved_totals(ids, warehouse_ids=warehouse_ids).items():
        available[product_id] = available.get(product_id, 0) - reserved
    return available


@dataclass(frozen=True)
class Overbooked:
    """Open reservations holding more units of a product than its warehouse's balance."""

    product_id: int
    sku: str
    warehouse_code: str
    balance: int
    reserved: int


def overbooked_reservations() -> list[Overbooked]:
    """Every (product, warehouse) whose open reservations exceed its balance (one query)."""
    balance = StockLevel.objects.filter(
        product=OuterRef("product"), warehouse=OuterRef("reservation__warehouse")
    ).values("quantity")[:1]
    rows = (
        ReservationLine.objects.filter(reservation__status=Reservation.Status.OPEN)
        .order_by()
        .values("product_id", "product__sku", "reservation__warehouse__code")
        .annotate(reserved=Sum("quantity"), balance=Coalesce(Subquery(balance), 0))
        .filter(reserved__gt=F("balance"))
    )
    found = [
        Overbooked(
            row["product_id"],
            row["product__sku"],
            row["reservation__warehouse__code"],
            row["balance"],
            row["reserved"],
        )
        for row in rows
    ]
    return sorted(found, key=lambda o: (o.sku, o.warehouse_code))


def balances_out_of_bounds() -> list[tuple[str, str, int]]:
    """(sku, warehouse code, quantity) of every balance below 0 or above the limit."""
    return list(
        StockLevel.objects.filter(Q(quantity__lt=0) | Q(quantity__gt=MAX_QUANTITY))
        .order_by("product__sku", "warehouse__code")
        .values_list("product__sku", "warehouse__code", "quantity")
    )


def unbalanced_transfers() -> list[tuple[str, str, int]]:
    """(number, sku, net units) where an MM's movements of a product do not add up to zero."""
    return list(
        StockMovement.objects.filter(document__kind=Document.Kind.MM)
        .order_by()
        .values("document_id", "product_id")
        .annotate(net=Sum("delta"))
        .exclude(net=0)
        .order_by("document__number", "product__sku")
        .values_list("document__number", "product__sku", "net")
    )


def stray_movements() -> list[tuple[str, str, str]]:
    """(number, sku, warehouse code) of movements booked outside their document's warehouses."""
    return list(
        StockMovement.objects.exclude(warehouse=F("document__warehouse"))
        .exclude(
            document__target_warehouse__isnull=False, warehouse=F("document__target_warehouse")
        )
        .order_by("document__number", "product__sku")
        .values_list("document__number", "product__sku", "warehouse__code")
    )


def cancellation_changes(document_ids: Iterable[int]):
    """What cancelling the approved documents does to each balance, refusals first.

    A values queryset (to page through) of rows with sku, name, warehouse, before, change,
    after and refused (after below 0 or above the limit); several documents add up.
    """
    before = StockLevel.objects.filter(
        product=OuterRef("product_id"), warehouse=OuterRef("warehouse_id")
    ).values("quantity")[:1]
    refused = Q(after__lt=0) | Q(after__gt=MAX_QUANTITY)
    return (
        StockMovement.objects.filter(
            document_id__in=list(document_ids), document__status=Document.Status.APPROVED
        )
        .order_by()
        .values("product_id", "warehouse_id")
        .annotate(
            sku=F("product__sku"),
            name=F("product__name"),
            warehouse=F("warehouse__code"),
            change=-Sum("delta"),
            before=Coalesce(Subquery(before), 0),
        )
        .annotate(after=F("before") + F("change"))
        .annotate(refused=Case(When(refused, then=Value(True)), default=Value(False)))
        .exclude(change=0)
        .order_by("-refused", "sku", "warehouse")
    )
