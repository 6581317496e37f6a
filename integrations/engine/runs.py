"""Full syncs: one SyncRun per integration at a time, split into chunk tasks, counted with F().

A full sync re-checks every link (clean, dirty, failing and broken ones), repairing drift
made in the shop. Chunks are idempotent: a redelivered or repeated chunk rereads the ledger
and the shop and writes only what still differs; its counters are added once.
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.engine import outbox
from integrations.engine.drain import sync_links
from integrations.engine.recording import SyncResult
from integrations.models import Integration, ProductLink, SyncChunk, SyncLogEntry, SyncRun
from integrations.reasons import describe_failure

logger = logging.getLogger("integrations.sync")


class SyncRefused(Exception):
    """The integration cannot sync now (inactive, disabled, or stopped by a shop error)."""


def refusal(integration: Integration) -> str:
    """Why this integration cannot sync now, or "" if it can."""
    if not integration.active:
        return _("The integration is inactive.")
    if integration.mode == Integration.Mode.DISABLED:
        return _("The integration's sync mode is disabled.")
    if integration.halted_at is not None:
        return _("Sync stopped by the shop: %(error)s Test the connection after fixing it.") % {
            "error": integration.last_error
        }
    return ""


def active_full_run(integration: Integration) -> SyncRun | None:
    """The full run in progress for this integration, if any."""
    return SyncRun.objects.filter(
        integration=integration, kind__in=SyncRun.FULL_KINDS, status__in=SyncRun.ACTIVE
    ).first()


def start_full_sync(integration: Integration, *, trigger: str, user=None) -> SyncRun:
    """Create a full run split into chunks (the caller sends them: tasks.start_full_sync).

    Returns the run already in progress instead when there is one (whoever started it);
    raises SyncRefused when the integration cannot sync.
    """
    reason = refusal(integration)
    if reason:
        raise SyncRefused(reason)
    running = active_full_run(integration)
    if running is not None and running.cancelled_at is not None:
        raise SyncRefused(
            _("The previous sync run is being cancelled; start a new one when it has stopped.")
        )
    if running is not None:
        return running
    try:
        with transaction.atomic():
            run = _create_run(integration, trigger=trigger, user=user)
    except IntegrityError:
        # Another request created it between our check and our insert (one_active_full_run).
        return active_full_run(integration)
    logger.info(
        "Integration inventory sync started: run=%s integration=%s trigger=%s products=%s "
        "chunks=%s",
        run.pk,
        integration.pk,
        trigger,
        run.total,
        run.chunks_total,
    )
    return run


def _create_run(integration, *, trigger, user) -> SyncRun:
    kind = SyncRun.Kind.SCHEDULED if trigger == SyncRun.Trigger.SCHEDULE else SyncRun.Kind.FULL
    run = SyncRun.objects.create(
        integration=integration, kind=kind, trigger=trigger, triggered_by=user
    )
    link_ids = list(integration.links.order_by("pk").values_list("pk", flat=True))
    size = max(integration.chunk_size, 1)
    chunks = [
        SyncChunk(run=run, index=n, link_ids=link_ids[start : start + size])
        for n, start in enumerate(range(0, len(link_ids), size))
    ]
    SyncChunk.objects.bulk_create(chunks)
    run.total, run.chunks_total = len(link_ids), len(chunks)
    if not chunks:
        run.status, run.started_at, run.finished_at = (
            SyncRun.Status.DONE,
            run.created_at,
            run.created_at,
        )
    run.save(update_fields=["total", "chunks_total", "status", "started_at", "finished_at"])
    return run


def sync_chunk(chunk_id: int, *, token: str | None = None) -> SyncResult:
    """Run one chunk of a full sync. Idempotent: a finished or cancelled chunk does nothing.

    A chunk of a run cancelled while it writes stops before its next write, and is recorded
    as cancelled with what it did.
    """
    chunk = SyncChunk.objects.select_related("run__integration").get(pk=chunk_id)
    run, integration = chunk.run, chunk.run.integration
    if chunk.status not in SyncChunk.OPEN:
        return SyncResult()
    reason = refusal(integration)
    if reason:
        fail_chunk(chunk_id, reason)
        return SyncResult()
    if not _mark_started(chunk):
        return SyncResult()  # cancelled between the read above and now
    token = token or chunk.task_id or outbox.new_token()
    live = live_links(integration, chunk.link_ids)
    result = sync_links(
        integration,
        [pk for pk in chunk.link_ids if pk not in live],
        run=run,
        token=token,
        stop=cancel_requested(run.pk),
    )
    result = result + SyncResult(held=len(live))
    finish_chunk(chunk_id, result)
    return result


def live_links(integration: Integration, link_ids) -> set[int]:
    """The chunk's links a drain sent (or due) within the last minute will send: the chunk
    leaves them to it, so a document booked as the chunk starts never waits for its writes.

    Without such a drain (none sent lately: a broker outage, or the marks are old) the chunk
    takes every link, as a full sync repairs everything.
    """
    if integration.mode != Integration.Mode.LOCAL_TO_PRESTA:
        return set()  # no drain runs in the other modes
    if not outbox.drain_sent_lately(integration):
        return set()
    due = outbox.due_links(integration).filter(pk__in=list(link_ids))
    return set(due.values_list("pk", flat=True))


def cancel_requested(run_id: int):
    """A check a running chunk makes before each write: was its run cancelled?"""
    return SyncRun.objects.filter(pk=run_id, cancelled_at__isnull=False).exists


def _mark_started(chunk: SyncChunk) -> bool:
    now = timezone.now()
    started = SyncChunk.objects.filter(pk=chunk.pk, status__in=SyncChunk.OPEN).update(
        status=SyncChunk.Status.RUNNING, attempts=F("attempts") + 1, started_at=now
    )
    SyncRun.objects.filter(pk=chunk.run_id, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING, started_at=now
    )
    return bool(started)


def finish_chunk(chunk_id: int, result: SyncResult) -> None:
    """Record a finished chunk once, add its counts to the run, finish the run if last.

    A chunk stopped by its run's cancellation is recorded as cancelled, with the links it
    did not get to left out of its processed count.
    """
    chunk = SyncChunk.objects.select_related("run").get(pk=chunk_id)
    # Counted from the records, so writes made by an attempt that was retried count too.
    changed = SyncLogEntry.objects.filter(
        run_id=chunk.run_id,
        link_id__in=chunk.link_ids,
        outcome__in=[SyncLogEntry.Outcome.WRITTEN, SyncLogEntry.Outcome.BOOKED],
    ).count()
    failed = ProductLink.objects.filter(
        pk__in=chunk.link_ids,
        state__in=[ProductLink.State.BROKEN, ProductLink.State.FAILING],
    ).count()
    status = SyncChunk.Status.CANCELLED if result.stopped else SyncChunk.Status.DONE
    _close_chunk(
        chunk,
        status,
        processed=len(chunk.link_ids) - result.stopped,
        changed=changed,
        failed=failed,
        requests=result.requests,
    )


def fail_chunk(chunk_id: int, error) -> None:
    """Record a chunk that gave up (retries exhausted, or the integration cannot sync).

    `error` is the refusal's text or the shop failure that exhausted the retries.
    """
    chunk = SyncChunk.objects.select_related("run__integration").get(pk=chunk_id)
    message = describe_failure(error, key=chunk.run.integration.api_key)
    processed = len(chunk.link_ids)
    _close_chunk(
        chunk, SyncChunk.Status.FAILED, processed=processed, failed=processed, error=message
    )


def _close_chunk(
    chunk, status, *, processed: int, changed=0, failed=0, requests=0, error=""
) -> None:
    closed = SyncChunk.objects.filter(pk=chunk.pk, status__in=SyncChunk.OPEN).update(
        status=status,
        processed=processed,
        changed=changed,
        failed=failed,
        error=error,
        finished_at=timezone.now(),
    )
    if not closed:
        return  # already counted (a redelivered task finishing twice)
    SyncRun.objects.filter(pk=chunk.run_id).update(
        processed=F("processed") + processed,
        changed=F("changed") + changed,
        failed=F("failed") + failed,
        requests=F("requests") + requests,
        chunks_done=F("chunks_done") + int(status != SyncChunk.Status.CANCELLED),
    )
    _finish_run_if_complete(chunk.run_id)


def _finish_run_if_complete(run_id: int) -> None:
    run = SyncRun.objects.get(pk=run_id)
    if not run.is_active:
        return
    if run.cancelled_at is not None:
        if run.chunks.filter(status__in=SyncChunk.OPEN).exists():
            return  # a chunk is still stopping
        status, error = SyncRun.Status.CANCELLED, ""
    elif run.chunks_done < run.chunks_total:
        return
    else:
        status, error = _outcome(run)
    finished = SyncRun.objects.filter(pk=run_id, status__in=SyncRun.ACTIVE).update(
        status=status, finished_at=timezone.now(), error=error
    )
    if finished:
        logger.info(
            "Integration inventory sync finished: run=%s integration=%s status=%s products=%s "
            "changed=%s failed=%s requests=%s",
            run.pk,
            run.integration_id,
            status,
            run.processed,
            run.changed,
            run.failed,
            run.requests,
        )


def _outcome(run: SyncRun) -> tuple[str, str]:
    """The final status of a run whose chunks all ended, and its first chunk error."""
    failed_chunks = list(
        run.chunks.filter(status=SyncChunk.Status.FAILED).values_list("error", flat=True)
    )
    error = failed_chunks[0] if failed_chunks else ""
    if len(failed_chunks) == run.chunks_total:
        return SyncRun.Status.FAILED, error
    if failed_chunks or run.failed:
        return SyncRun.Status.DONE_WITH_ERRORS, error
    return SyncRun.Status.DONE, error


@dataclass(frozen=True)
class Cancellation:
    dropped: int  # chunks that will not run (status cancelled)
    stopping: int  # chunks still running: each stops before its next write
    ended: bool  # the run is over now (no chunk was running)


def cancel_run(run_id: int, *, user=None) -> Cancellation:
    """Cancel a full run. Idempotent; raises SyncRefused for a run that already ended.

    Its chunks not started are dropped; a running chunk stops before its next write. What
    the run wrote stays recorded (log, counts, link states); the run ends "cancelled" once
    no chunk runs. Messages of dropped chunks still in the broker are skipped by the worker.
    """
    now = timezone.now()
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().get(pk=run_id)
        if not run.is_active:
            raise SyncRefused(_("Run #%(id)s has already ended.") % {"id": run.pk})
        if run.cancelled_at is None:
            run.cancelled_at, run.cancelled_by = now, user
            run.save(update_fields=["cancelled_at", "cancelled_by"])
        dropped = run.chunks.filter(status=SyncChunk.Status.QUEUED).update(
            status=SyncChunk.Status.CANCELLED, finished_at=now
        )
    _finish_run_if_complete(run_id)
    stopping = run.chunks.filter(status=SyncChunk.Status.RUNNING).count()
    logger.info(
        "Integration inventory sync cancelled: run=%s integration=%s by=%s dropped=%s stopping=%s",
        run.pk,
        run.integration_id,
        getattr(user, "pk", "-"),
        dropped,
        stopping,
    )
    return Cancellation(dropped=dropped, stopping=stopping, ended=not stopping)
