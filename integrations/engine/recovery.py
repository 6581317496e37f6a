"""Taking work back from workers that are gone: expired chunk leases, runs nobody works on.

A chunk whose lease expired lost its worker (leases.Lease stopped renewing it): its claims are
freed and it is queued again without a task id, so tasks.send_chunks sends it with a fresh one
(the old message, if the broker ever hands it out again, finds the chunk no longer its own and
does nothing). A chunk that lost its worker MAX_REQUEUES times is failed instead: something in
it may be what kills the workers; one of a cancelled run is closed as cancelled. A queued
chunk whose message the broker lost (restarted without persistence) is sent again once its
run has not moved for a lease timeout (requeue_stranded_chunks).
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


def requeue_stranded_chunks(*, now: datetime | None = None) -> list[int]:
    """Send again the chunks whose message the broker lost; the ids of their runs.

    A broker restarted without persistence forgets the messages it held, and those of a
    run's chunks hold their places in flight (pacing) with nobody to run them: the run would
    wait for the run timeout (hours). A chunk counts as stranded when its message was due a
    lease timeout ago (sent, or its retry's countdown over) and nothing in its run moved for
    as long: no chunk started, renewed a lease or ended. Its old message, should it still come,
    finds the chunk no longer its own.
    """
    now = now or timezone.now()
    since = now - outbox.lease_timeout()
    stranded = SyncChunk.objects.filter(
        Q(due_at__lt=since) | Q(due_at__isnull=True),
        status=SyncChunk.Status.QUEUED,
        run__status__in=SyncRun.ACTIVE,
        run__cancelled_at__isnull=True,
    ).exclude(task_id="")
    run_ids = sorted(set(stranded.values_list("run_id", flat=True)) - moved_runs(since, now=now))
    for run_id in run_ids:
        count = stranded.filter(run_id=run_id).update(
            task_id="",
            due_at=None,
            error=_("This chunk's task was lost by the broker; the chunk was sent again."),
        )
        logger.warning(
            "Integration inventory sync: run=%s waited for %s chunk(s) whose task the broker "
            "lost; sent again",
            run_id,
            count,
        )
    return run_ids


def moved_runs(since: datetime, *, now: datetime) -> set[int]:
    """Active runs in which something moved after ``since``: a chunk started, was due,
    ended, or holds a live lease."""
    moved = SyncChunk.objects.filter(run__status__in=SyncRun.ACTIVE).filter(
        Q(started_at__gte=since)
        | Q(due_at__gte=since)
        | Q(finished_at__gte=since)
        | Q(status=SyncChunk.Status.RUNNING, lease_expires_at__gte=now)
    )
    return set(moved.values_list("run_id", flat=True))


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
