"""The ledger's stock_changed and reservations_changed, seen from the integrations: write
outbox marks, nothing else.

Inside the stock change's transaction the receiver only marks links dirty. Enqueueing the
drains waits for the commit (tasks.schedule_drains); several documents approved together still
give one drain per integration, through the drain slot. If the broker is down the enqueue is
logged and dropped: the marks are committed, and the periodic drain picks them up.
"""

from integrations import tasks
from integrations.engine import outbox
from integrations.models import Integration, ProductLink
from warehouse.models import Document


def mark_links(sender, *, document, product_ids, warehouse_ids, **kwargs) -> None:
    """stock_changed receiver: mark the products' links dirty, drain them after commit."""
    since = document.cancelled_at if document.status == Document.Status.CANCELLED else None
    since = since or document.approved_at
    integration_ids = outbox.mark(product_ids, warehouse_ids=warehouse_ids, since=since)
    tasks.schedule_drains(integration_ids)


def mark_reserved(sender, *, reservation, product_ids, warehouse_ids, **kwargs) -> None:
    """reservations_changed receiver: the shops sent balance minus reservations follow.

    Every integration that reserves and is fed by the reservation's warehouse is marked, not
    only the one whose order it is: a unit sold in one shop is off sale in the others.
    """
    reserving = Integration.objects.filter(reserve_orders=True).values_list("pk", flat=True)
    integration_ids = outbox.mark(
        product_ids, integration_ids=list(reserving), warehouse_ids=warehouse_ids
    )
    tasks.schedule_drains(integration_ids)


def name_followers(sender, *, product_ids, warehouse_ids, **kwargs) -> list[str]:
    """stock_followers receiver: the shops whose links follow these products' balances."""
    return list(
        ProductLink.objects.filter(product_id__in=list(product_ids))
        .filter(outbox.affected_integrations(warehouse_ids))
        .order_by()
        .values_list("integration__name", flat=True)
        .distinct()
    )
