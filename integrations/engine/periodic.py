"""What the periodic drain (celery beat, every minute) and the nightly schedule do.

The drain catches every mark an after-commit enqueue missed (broker down, worker lost), takes
work back from workers that are gone (expired leases: claims freed, chunks queued again) and
from a broker that lost its messages (chunks of a run that stopped moving, sent again), makes
uncertain rows due for their re-read, finishes runs left unfinished, finds chunks whose enqueue
was lost, and prunes the audit log and the failed tasks past their retention. What must be
sent (drains, chunks) is returned to the caller: tasks.py sends it. With a two-minute lease
and this pass every minute, a killed worker's chunk is running again within about three
minutes.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.engine import outbox, recovery, runs
from integrations.models import FailedTask, Integration, SyncChunk, SyncLogEntry, SyncRun

logger = logging.getLogger("integrations.sync")

UNSENT_CHUNK_GRACE = timedelta(minutes=1)  # leaves the after-commit enqueue its chance


def log_retention() -> timedelta:
    """How long SyncLogEntry rows are kept (INVSYNC_LOG_RETENTION_DAYS, default 30)."""
    return timedelta(days=settings.INVSYNC_LOG_RETENTION_DAYS)


def prune_log(*, now=None) -> int:
    """Delete audit entries older than the retention; returns how many."""
    cutoff = (now or timezone.now()) - log_retention()
    deleted, _per_model = SyncLogEntry.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def failed_task_retention() -> timedelta:
    """How long an untouched failed task is listed (INVSYNC_FAILED_TASK_RETENTION_DAYS)."""
    return timedelta(days=settings.INVSYNC_FAILED_TASK_RETENTION_DAYS)


def prune_failed_tasks(*, now=None) -> int:
    """Delete failed tasks nobody retried or dismissed within the retention; how many."""
    cutoff = (now or timezone.now()) - failed_task_retention()
    deleted, _per_model = FailedTask.objects.filter(failed_at__lt=cutoff).delete()
    return deleted


def runs_with_unsent_chunks(*, now=None) -> list[int]:
    """Active runs with chunks whose enqueue failed (older than the after-commit's chance)."""
    now = now or timezone.now()
    return list(
        SyncChunk.objects.filter(
            status=SyncChunk.Status.QUEUED,
            task_id="",
            run__status__in=SyncRun.ACTIVE,
            run__created_at__lt=now - UNSENT_CHUNK_GRACE,
        )
        .order_by()
        .values_list("run_id", flat=True)
        .distinct()
    )


def fail_lost_chunks(*, now=None) -> int:
    """Fail queued chunks of runs older than the run timeout (their message never came)."""
    now = now or timezone.now()
    # Running chunks are the leases' business (recovery.requeue_expired_chunks).
    lost = SyncChunk.objects.filter(
        status=SyncChunk.Status.QUEUED,
        run__status__in=SyncRun.ACTIVE,
        run__created_at__lt=now - run_timeout(),
    ).values_list("pk", flat=True)
    lost = list(lost)
    for chunk_id in lost:
        runs.fail_chunk(chunk_id, _("The task running this chunk was lost."))
    return len(lost)


def run_timeout() -> timedelta:
    """How old a run may get before its unstarted chunks count as lost (default 12 hours)."""
    return timedelta(hours=settings.INVSYNC_RUN_TIMEOUT_HOURS)


@dataclass
class Housekeeping:
    """What one periodic pass did, and what it leaves for tasks.py to send."""

    reaped: int = 0
    pruned: int = 0
    pruned_failures: int = 0  # failed tasks past their retention
    lost_chunks: int = 0
    rechecks: int = 0  # uncertain rows made due for their re-read
    stalled_runs: int = 0  # runs finished here (every chunk closed)
    requeued_run_ids: list[int] = field(default_factory=list)  # runs with chunks sent again
    stranded_run_ids: list[int] = field(default_factory=list)  # runs whose tasks were lost
    drain_ids: list[int] = field(default_factory=list)  # integrations with due marks
    unsent_run_ids: list[int] = field(default_factory=list)  # runs with chunks to re-send


def housekeeping() -> Housekeeping:
    """One periodic pass: take back expired leases and lost chunk messages, free stale claims,
    make rechecks due, finish stalled runs, fail lost chunks, prune the log, find work to send."""
    done = Housekeeping(requeued_run_ids=recovery.requeue_expired_chunks())
    done.stranded_run_ids = recovery.requeue_stranded_chunks()
    done.reaped = outbox.reap_stale_claims()
    done.rechecks = outbox.make_rechecks_due()
    done.lost_chunks = fail_lost_chunks()
    done.stalled_runs = recovery.finish_stalled_runs()
    done.pruned = prune_log()
    done.pruned_failures = prune_failed_tasks()
    done.unsent_run_ids = sorted(
        {*runs_with_unsent_chunks(), *done.requeued_run_ids, *done.stranded_run_ids}
    )
    done.drain_ids = outbox.pending_integration_ids()
    logger.info("Integration inventory sync periodic drain: %s", done)
    return done


def nightly_integrations():
    """The integrations the 02:00 full sync covers: every one that can sync.

    In prestashop_to_local mode that run reads the shop back into the ledger.
    """
    return Integration.objects.filter(active=True, halted_at__isnull=True).exclude(
        mode=Integration.Mode.DISABLED
    )
