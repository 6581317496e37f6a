"""The ledger's stock_changed, seen from the integrations: write outbox marks, nothing else.

Inside the stock change's transaction the receiver only marks links dirty. Enqueueing the
drains waits for the commit, through ONE on_commit callback per transaction that collects
every integration the transaction touched (several documents approved together still give
one drain per integration). If the broker is down the enqueue is logged and dropped: the
marks are committed, and the periodic drain picks them up.
"""

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations import outbox
from integrations.models import Integration
from warehouse.models import Document

logger = logging.getLogger("integrations.sync")


def mark_links(sender, *, document, product_ids, warehouse_ids, **kwargs) -> None:
    """stock_changed receiver: mark the products' links dirty, drain them after commit."""
    since = document.cancelled_at if document.status == Document.Status.CANCELLED else None
    since = since or document.approved_at
    integration_ids = outbox.mark(product_ids, warehouse_ids=warehouse_ids, since=since)
    if integration_ids:
        schedule_drains(integration_ids)


def schedule_drains(integration_ids: set[int]) -> None:
    """Enqueue a drain per integration once the current transaction commits."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for _savepoints, callback, _robust in connection.run_on_commit:
            # Reuse this transaction's callback: its set is read only when it runs.
            if getattr(callback, "func", None) is enqueue_drains:
                callback.args[0].update(integration_ids)
                return
    transaction.on_commit(functools.partial(enqueue_drains, set(integration_ids)), robust=True)


def drain_delay() -> float:
    """Seconds a drain waits after the commit (INVSYNC_DRAIN_DELAY, default 1).

    A short wait lets a burst of approvals touching the same products become one write per
    product: the first drain to run finds every mark of the burst.
    """
    return settings.INVSYNC_DRAIN_DELAY


def enqueue_drains(integration_ids: set[int]) -> None:
    """Send one drain task per integration unless one is already due; never raises.

    A burst of approvals thus becomes one drain (and one write per product): the drain
    queued first runs ``drain_delay()`` after it was sent and finds every mark committed
    before then. A broker failure is logged; the periodic drain syncs those marks.
    """
    from integrations.tasks import drain_task

    delay = drain_delay()
    for integration_id in sorted(integration_ids):
        if not _claim_drain_slot(integration_id, delay):
            continue
        try:
            drain_task.apply_async(
                (integration_id,),
                countdown=delay,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
            )
        except Exception:
            Integration.objects.filter(pk=integration_id).update(drain_due_at=None)
            logger.warning(
                "Integration inventory sync: could not enqueue the drain of integration=%s; "
                "the periodic drain will sync its links",
                integration_id,
                exc_info=True,
            )


def _claim_drain_slot(integration_id: int, delay: float) -> bool:
    """True if no drain is due yet for this integration (and one is now), by conditional UPDATE."""
    now = timezone.now()
    return bool(
        Integration.objects.filter(pk=integration_id)
        .filter(Q(drain_due_at__isnull=True) | Q(drain_due_at__lte=now))
        .update(drain_due_at=now + timedelta(seconds=delay))
    )
