"""What the periodic drain (celery beat, every minute) and the nightly schedule do.

The drain catches every mark an after-commit enqueue missed (broker down, worker lost),
frees stale claims, re-sends chunks whose enqueue was lost, and prunes the audit log.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import outbox, runs
from integrations.models import Integration, SyncChunk, SyncLogEntry, SyncRun

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


def recover_chunks(*, now=None) -> int:
    """Re-send chunks whose enqueue failed; fail chunks whose task is gone; returns count."""
    now = now or timezone.now()
    unsent = (
        SyncChunk.objects.filter(
            status=SyncChunk.Status.QUEUED,
            task_id="",
            run__status__in=SyncRun.ACTIVE,
            run__created_at__lt=now - UNSENT_CHUNK_GRACE,
        )
        .values_list("run_id", flat=True)
        .distinct()
    )
    resent = sum(runs.enqueue_chunks(run_id) for run_id in unsent)
    # A running chunk older than any task may live, or a sent chunk of a run older than
    # the run timeout, lost its task (a worker killed, a broker that lost messages).
    lost = SyncChunk.objects.filter(
        Q(status=SyncChunk.Status.RUNNING, started_at__lt=now - outbox.claim_lifetime())
        | Q(
            status=SyncChunk.Status.QUEUED,
            run__status__in=SyncRun.ACTIVE,
            run__created_at__lt=now - run_timeout(),
        )
    ).values_list("pk", flat=True)
    for chunk_id in lost:
        runs.fail_chunk(chunk_id, _("The task running this chunk was lost."))
    return resent + len(lost)


def run_timeout() -> timedelta:
    """How old a run may get before its unstarted chunks count as lost (default 12 hours)."""
    return timedelta(hours=settings.INVSYNC_RUN_TIMEOUT_HOURS)


def drain_all(enqueue_drain) -> dict[str, int]:
    """One periodic pass; ``enqueue_drain(integration_id)`` sends a drain task."""
    counts = {
        "reaped": outbox.reap_stale_claims(),
        "pruned": prune_log(),
        "chunks": recover_chunks(),
        "drains": 0,
    }
    for integration_id in outbox.pending_integration_ids():
        enqueue_drain(integration_id)
        counts["drains"] += 1
    logger.info("Integration inventory sync periodic drain: %s", counts)
    return counts


def start_nightly_runs() -> list[int]:
    """The 02:00 full sync of every integration that can sync; returns the run ids.

    In prestashop_to_local mode that run reads the shop back into the ledger.
    """
    started = []
    for integration in Integration.objects.filter(active=True, halted_at__isnull=True).exclude(
        mode=Integration.Mode.DISABLED
    ):
        started.append(runs.start_full_sync(integration, trigger=SyncRun.Trigger.SCHEDULE).pk)
    return started
