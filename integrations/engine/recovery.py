"""Taking work back from workers that are gone: expired chunk leases, runs nobody works on.

A chunk whose lease expired lost its worker (leases.Lease stopped renewing it): its claims are
freed and it is queued again without a task id, so tasks.send_chunks sends it with a fresh one
(the old message, if the broker ever hands it out again, finds the chunk no longer its own and
does nothing). A chunk that lost its worker MAX_REQUEUES times is failed instead: something in
it may be what kills the workers; one of a cancelled run is closed as cancelled.
"""

import logging
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.engine import outbox, runs
from integrations.models import SyncChunk, SyncRun

logger = logging.getLogger("integrations.sync")

MAX_REQUEUES = 3


def requeue_expired_chunks(*, now: datetime | None = None) -> list[int]:
    """Free and queue again every expired chunk (or fail it, if lost too often).

    Returns the ids of the runs with chunks to send again.
    """
    now = now or timezone.now()
    run_ids = []
    cancelled = set(
        SyncRun.objects.filter(status__in=SyncRun.ACTIVE, cancelled_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    for chunk in runs.expired_chunks(now=now).only("pk", "run_id", "task_id", "requeues"):
        outbox.release_token(chunk.task_id)
        if chunk.run_id in cancelled:  # its run was cancelled: it ends with what it did
            runs.finish_chunk(chunk.pk, cancelled=True)
            continue
        if chunk.requeues >= MAX_REQUEUES:
            runs.fail_chunk(chunk.pk, runs.lost_reason(chunk.requeues + 1))
            continue
        requeued = (
            runs.expired_chunks(now=now)
            .filter(pk=chunk.pk, task_id=chunk.task_id)
            .update(
                status=SyncChunk.Status.QUEUED,
                task_id="",
                lease_expires_at=None,
                requeues=chunk.requeues + 1,
                error=_("The worker running this chunk stopped; the chunk was sent again."),
            )
        )
        if requeued:
            logger.warning(
                "Integration inventory sync: chunk=%s of run=%s lost its worker (task %s); "
                "sent again",
                chunk.pk,
                chunk.run_id,
                chunk.task_id,
            )
            run_ids.append(chunk.run_id)
    return sorted(set(run_ids))


def finish_stalled_runs() -> int:
    """Finish active runs whose every chunk is closed (a worker lost between the two steps)."""
    open_chunks = Q(chunks__status__in=runs.OPEN)
    stalled = list(
        SyncRun.objects.filter(status__in=SyncRun.ACTIVE, chunks_total__gt=0)
        .exclude(open_chunks)
        .values_list("pk", flat=True)
    )
    for run_id in stalled:
        runs.finish_run_if_complete(run_id)
    return len(stalled)
