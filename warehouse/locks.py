"""The one way to lock stock rows.

Every transaction that changes stock locks its rows here, in the same global order
(warehouse id, then product id), so two transactions can wait for each other but never
deadlock: an MM transfer between two warehouses locks the lower warehouse id first, whichever
way its goods go.
"""

from collections import defaultdict
from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q

from warehouse.models import Document, StockLevel

Key = tuple[int, int]  # (warehouse id, product id): one balance


def lock_document(document_id: int) -> Document:
    """Lock one document row (select_for_update) and return it fresh from the database."""
    # of=("self",): lock only the document, not the joined warehouse rows, so approvals in
    # one warehouse wait for each other only where they share stock rows.
    return (
        Document.objects.select_for_update(of=("self",))
        .select_related("warehouse", "target_warehouse")
        .get(pk=document_id)
    )


def lock_balances(keys: Iterable[Key]) -> dict[Key, StockLevel]:
    """Lock the balances of (warehouse id, product id) pairs, creating missing rows at 0.

    Returns ``{(warehouse_id, product_id): StockLevel}`` for every requested pair. Must run
    inside a transaction. Missing rows are inserted first (ignoring rows another transaction
    created meanwhile), in lock order, so concurrent inserts of the same new row wait in order.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_balances() must be called inside a transaction")
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    by_warehouse = defaultdict(list)
    for warehouse_id, product_id in wanted:
        by_warehouse[warehouse_id].append(product_id)
    where = reduce(
        or_, (Q(warehouse_id=w, product_id__in=ids) for w, ids in sorted(by_warehouse.items()))
    )
    existing = set(StockLevel.objects.filter(where).values_list("warehouse_id", "product_id"))
    missing = [key for key in wanted if key not in existing]
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(warehouse_id=w, product_id=p, quantity=0) for w, p in missing],
            ignore_conflicts=True,
        )
    levels = (
        StockLevel.objects.select_for_update().filter(where).order_by("warehouse_id", "product_id")
    )
    return {(level.warehouse_id, level.product_id): level for level in levels}
