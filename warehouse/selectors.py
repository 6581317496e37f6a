"""Read-only queries over the ledger, shared by the admin, commands and integrations."""

from collections.abc import Iterable

from django.db.models import Sum

from warehouse.models import StockLevel


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
