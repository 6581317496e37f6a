"""How a full run's chunks reach the broker: a few at a time, never the whole run at once.

A run keeps at most ``chunks_in_flight()`` chunks sent and unfinished; each chunk that ends
(done, failed or cancelled) lets the next one go. So the bulk queue holds a bounded number
of a run's messages whatever its size, live work is never queued behind a whole run, the
shop's rate decides the pace, and a cancelled run has only those few messages left to drop.

A chunk gets its task id here, in the transaction that counts what is in flight (the run's
row is locked, so two chunks finishing together cannot both fill the same free place); the
caller sends it after commit and gives the reservation back if the broker refuses it.
"""

import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import SyncChunk, SyncRun


def chunks_in_flight() -> int:
    """Chunks of one run sent and not finished at once (INVSYNC_SYNC_CHUNKS_IN_FLIGHT)."""
    return settings.INVSYNC_SYNC_CHUNKS_IN_FLIGHT


def in_flight(run_id: int) -> int:
    """The run's chunks sent to the broker and not finished yet."""
    return (
        SyncChunk.objects.filter(run_id=run_id, status__in=SyncChunk.OPEN)
        .exclude(task_id="")
        .count()
    )


def reserve_chunks(run_id: int, *, limit: int | None = None) -> list[tuple[int, str]]:
    """The run's next chunks to send, each with its new task id, filling the free places.

    Returns [] for a run that ended or is being cancelled, or whose places are all taken.
    """
    limit = chunks_in_flight() if limit is None else limit
    with transaction.atomic():
        run = (
            SyncRun.objects.select_for_update()
            .filter(pk=run_id, status__in=SyncRun.ACTIVE, cancelled_at__isnull=True)
            .first()
        )
        if run is None:
            return []
        free = limit - in_flight(run_id)
        if free <= 0:
            return []
        unsent = SyncChunk.objects.filter(run=run, status=SyncChunk.Status.QUEUED, task_id="")
        reserved = [
            (chunk_id, str(uuid.uuid4()))
            for chunk_id in unsent.order_by("index").values_list("pk", flat=True)[:free]
        ]
        now = timezone.now()
        for chunk_id, task_id in reserved:
            SyncChunk.objects.filter(pk=chunk_id).update(task_id=task_id, due_at=now)
    return reserved


def unreserve(reserved: list[tuple[int, str]]) -> int:
    """Give back reservations whose message never reached the broker; returns how many.

    The periodic drain sends them again (runs with unsent chunks).
    """
    released = 0
    for chunk_id, task_id in reserved:
        released += SyncChunk.objects.filter(
            pk=chunk_id, task_id=task_id, status=SyncChunk.Status.QUEUED
        ).update(task_id="", due_at=None)
    return released
