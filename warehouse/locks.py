"""The one way to lock stock rows.

Every transaction that changes stock locks its rows here, in the same global order
(warehouse, then product id), so two transactions can wait for each other but never deadlock.
"""

from collections.abc import Iterable

from django.db import transaction

from warehouse.models import Document, StockLevel


def lock_document(document_id: int) -> Document:
    """Lock one document row (select_for_update) and return it fresh from the database."""
    # of=("self",): lock only the document, not the joined warehouse row, so approvals in
    # one warehouse wait for each other only where they share stock rows.
    return (
        Document.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .get(pk=document_id)
    )


def lock_stock_levels(warehouse_id: int, product_ids: Iterable[int]) -> dict[int, StockLevel]:
    """Lock the balances of the products in one warehouse, creating missing rows at 0.

    Returns ``{product_id: StockLevel}`` for every requested product. Must run inside a
    transaction. Missing rows are inserted first (ignoring rows another transaction created
    meanwhile), in product-id order, so concurrent inserts of the same new row wait in order.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_stock_levels() must be called inside a transaction")
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    existing = set(
        StockLevel.objects.filter(warehouse_id=warehouse_id, product_id__in=ids).values_list(
            "product_id", flat=True
        )
    )
    missing = [pid for pid in ids if pid not in existing]
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(warehouse_id=warehouse_id, product_id=pid, quantity=0) for pid in missing],
            ignore_conflicts=True,
        )
    levels = (
        StockLevel.objects.select_for_update()
        .filter(warehouse_id=warehouse_id, product_id__in=ids)
        .order_by("product_id")
    )
    return {level.product_id: level for level in levels}
