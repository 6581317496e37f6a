"""Read-only queries over the ledger, shared by the admin, commands and integrations."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from warehouse.models import StockLevel, StockMovement


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
