"""Full syncs: one SyncRun per integration at a time, split into chunk tasks, counted with F().

A full sync re-checks every link (clean, dirty, failing and broken ones), repairing drift
made in the shop. Chunks are idempotent: a redelivered or repeated chunk rereads the ledger
and the shop and writes only what still differs. A chunk's counts are what its attempts did,
added as they go (requests and writes while it runs, leases.Lease): a retry, a redelivery or
a chunk sent again after its worker died adds only its own work. A run whose chunks all lost
their workers is closed, not joined, when a new full sync is asked for.
"""

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.engine import failures, leases, outbox
from integrations.engine.drain import sync_links
from integrations.engine.recording import SyncResult
from integrations.models import Integration, ProductLink, SyncChunk, SyncRun
from integrations.reasons import describe_failure

logger = logging.getLogger("integrations.sync")

OPEN = (SyncChunk.Status.QUEUED, SyncChunk.Status.RUNNING)
FAILED_STATES = (ProductLink.State.FAILING, ProductLink.State.BROKEN)


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

    Returns the run already in progress instead when there is one (whoever started it) and it
    is alive; raises SyncRefused when the integration cannot sync.
    """
    reason = refusal(integration)
    if reason:
        raise SyncRefused(reason)
    running = active_full_run(integration)
    if running is not None and not is_alive(running):
        close_dead_run(running)  # a run nobody works on is not joined: it ends, a new one starts
    elif running is not None and running.cancelled_at is not None:
        raise SyncRefused(
            _("The previous sync run is being cancelled; start a new one when it has stopped.")
        )
    elif running is not None:
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
    # In the shop's product order: a chunk covers a dense range of product ids, which the
    # client reads in one request (filter[id_product]=[low,high]) however large the catalogue.
    link_ids = list(
        integration.links.order_by("ps_product_id", "ps_combination_id", "pk").values_list(
            "pk", flat=True
        )
    )
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
    """One attempt at a chunk of a full sync. Idempotent; never raises a shop failure.

    The attempt takes only the links no earlier attempt finished, and keeps what it finishes
    even when a shop failure stops it (the failure is the result's ``error``: the task retries
    or gives up). The chunk is closed once every link is done. A delivery of a chunk that is
    closed or cancelled, or now belongs to another task (sent again after its worker was
    lost), does nothing. Any other exception fails the chunk with its reason, then goes on up.
    A chunk of a run cancelled meanwhile stops before its next write and is closed as
    cancelled with what it did (a shop failure then ends it too, without a retry).
    """
    chunk = SyncChunk.objects.select_related("run__integration").get(pk=chunk_id)
    token = token or chunk.task_id or outbox.new_token()
    if not begin_attempt(chunk, token):
        return SyncResult()
    reason = refusal(chunk.run.integration)
    if reason:
        fail_chunk(chunk_id, reason)
        return SyncResult()
    result = _attempt(chunk, token)
    cancelled = bool(result.stopped) or (
        result.error is not None and cancel_requested(chunk.run_id)()
    )
    if cancelled:
        result = replace(result, error=None)  # a cancelled run retries nothing
    if result.error is None and SyncChunk.objects.filter(pk=chunk_id, task_id=token).exists():
        # Unless the chunk was sent again meanwhile (a stalled worker).
        finish_chunk(chunk_id, batch_size=result.batch_size, cancelled=cancelled)
    return result


def _attempt(chunk: SyncChunk, token: str) -> SyncResult:
    """Sync the chunk's links not done yet under a lease, and keep what it finished.

    Links a drain sent lately will write are left to it (counted ``held``, and done).
    """
    run, integration = chunk.run, chunk.run.integration
    remaining = chunk.remaining_link_ids()
    live = live_links(integration, remaining)
    lease = leases.Lease(token, chunk_id=chunk.pk, run_id=chunk.run_id)
    try:
        with lease:
            result = sync_links(
                integration,
                [pk for pk in remaining if pk not in live],
                run=run,
                token=token,
                meter=lease.meter,
                stop=cancel_requested(run.pk),
            )
    except Exception as exc:
        lease.flush()
        fail_chunk(chunk.pk, failures.describe_crash(exc))
        raise
    result = result + SyncResult(held=len(live), settled=frozenset(live))
    record_progress(chunk, lease, result, token=token)
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


def begin_attempt(chunk: SyncChunk, token: str) -> bool:
    """Start an attempt if this delivery may run the chunk (by conditional UPDATE).

    It may when the chunk waits for it (queued, sent as this task or not sent yet) or is its
    own (a retry, or the same task redelivered after its process died); a cancelled chunk is
    neither.
    """
    now = timezone.now()
    mine = Q(status=SyncChunk.Status.QUEUED, task_id__in=["", token]) | Q(
        status=SyncChunk.Status.RUNNING, task_id=token
    )
    started = (
        SyncChunk.objects.filter(pk=chunk.pk)
        .filter(mine)
        .update(
            status=SyncChunk.Status.RUNNING,
            task_id=token,
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), Value(now)),
            lease_expires_at=leases.expiry(now=now),
            due_at=None,
            error="",
        )
    )
    if started:
        SyncRun.objects.filter(pk=chunk.run_id, status=SyncRun.Status.QUEUED).update(
            status=SyncRun.Status.RUNNING, started_at=now
        )
    return bool(started)


def record_progress(chunk: SyncChunk, lease: leases.Lease, result: SyncResult, *, token) -> None:
    """Keep the links this attempt finished with, and add its counts to the chunk and run."""
    with transaction.atomic():
        lease.settle(result.changed)  # what it did counts, even if the chunk is no longer its own
        if result.settled:
            done = sorted(set(chunk.done_link_ids) | result.settled)
            SyncChunk.objects.filter(pk=chunk.pk, task_id=token).update(done_link_ids=done)
            chunk.done_link_ids = done


def wait_for_retry(chunk_id: int, seconds: float, *, token: str, error) -> None:
    """The chunk's task retries in ``seconds``: the chunk waits queued for that retry (still
    its task's, due then), so no lease runs out meanwhile and nobody takes it for lost."""
    chunk = SyncChunk.objects.select_related("run__integration").get(pk=chunk_id)
    reason = describe_failure(error, key=chunk.run.integration.readable_api_key)
    SyncChunk.objects.filter(pk=chunk_id, task_id=token, status=SyncChunk.Status.RUNNING).update(
        status=SyncChunk.Status.QUEUED,
        lease_expires_at=None,
        due_at=timezone.now() + timedelta(seconds=seconds),
        error=_("Next attempt in %(seconds)d s. %(reason)s")
        % {"seconds": round(seconds), "reason": reason},
    )


def finish_chunk(chunk_id: int, *, batch_size: int = 0, cancelled: bool = False) -> None:
    """Record a chunk whose every link is done; finish the run if it was the last one.

    ``cancelled``: the chunk stopped for its run's cancellation; it is closed as cancelled,
    the links it did not get to left out of its processed count.
    """
    chunk = SyncChunk.objects.select_related("run").get(pk=chunk_id)
    failed = ProductLink.objects.filter(pk__in=chunk.link_ids, state__in=FAILED_STATES).count()
    if cancelled:
        processed = len(chunk.link_ids) - len(chunk.remaining_link_ids())
        _close_chunk(chunk, SyncChunk.Status.CANCELLED, processed, failed, "")
        return
    _close_chunk(
        chunk, SyncChunk.Status.DONE, len(chunk.link_ids), failed, "", batch_size=batch_size
    )


def fail_chunk(chunk_id: int, error) -> None:
    """Record a chunk that gave up (retries exhausted, its worker lost, or a refusal).

    `error` is the refusal's text, or the failure that ended it. What the chunk did stays
    counted; its links not done count as failed.
    """
    chunk = SyncChunk.objects.select_related("run__integration").get(pk=chunk_id)
    message = describe_failure(error, key=chunk.run.integration.readable_api_key)
    failed = ProductLink.objects.filter(
        Q(pk__in=chunk.remaining_link_ids()) | Q(pk__in=chunk.link_ids, state__in=FAILED_STATES)
    ).count()
    processed = len(chunk.link_ids) - len(chunk.remaining_link_ids())
    _close_chunk(chunk, SyncChunk.Status.FAILED, processed, failed, message)


def _close_chunk(chunk, status, processed, failed, error, *, batch_size=0) -> None:
    with transaction.atomic():
        closed = SyncChunk.objects.filter(pk=chunk.pk, status__in=OPEN).update(
            status=status,
            processed=processed,
            failed=failed,
            error=error,
            batch_size=batch_size or None,
            lease_expires_at=None,
            due_at=None,
            finished_at=timezone.now(),
        )
        if not closed:
            return  # already counted (a redelivered task finishing twice)
        # The run shows the multi-row size in force when its last batching chunk closed.
        run_fields = {"batch_size": batch_size} if batch_size else {}
        SyncRun.objects.filter(pk=chunk.run_id).update(
            processed=F("processed") + processed,
            failed=F("failed") + failed,
            # A cancelled chunk did not run to its end: progress counts only those that did.
            chunks_done=F("chunks_done") + int(status != SyncChunk.Status.CANCELLED),
            **run_fields,
        )
    finish_run_if_complete(chunk.run_id)


def finish_run_if_complete(run_id: int) -> None:
    """Give the run its final status once every chunk is closed (idempotent)."""
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


def expired_chunks(*, now: datetime | None = None):
    """Running chunks whose lease ran out (rows from before leases: started too long ago)."""
    now = now or timezone.now()
    return SyncChunk.objects.filter(status=SyncChunk.Status.RUNNING).filter(
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, started_at__lt=now - outbox.lease_timeout())
    )


def lost_reason(times: int) -> str:
    return _(
        "The worker running this chunk stopped %(times)d times (killed, out of memory or "
        "restarted); the chunk was given up. Check the workers' logs."
    ) % {"times": times}


def is_alive(run: SyncRun, *, now: datetime | None = None) -> bool:
    """Whether someone works on the run: a chunk waiting in the queue or one with a live lease."""
    now = now or timezone.now()
    return run.chunks.filter(
        Q(status=SyncChunk.Status.QUEUED)
        | Q(status=SyncChunk.Status.RUNNING, lease_expires_at__gte=now)
    ).exists()


def close_dead_run(run: SyncRun) -> None:
    """End a run nobody works on: its expired chunks fail (their claims freed), it finishes."""
    for chunk in expired_chunks().filter(run=run).only("pk", "task_id", "requeues"):
        outbox.release_token(chunk.task_id)
        fail_chunk(chunk.pk, lost_reason(chunk.requeues + 1))
    finish_run_if_complete(run.pk)
    logger.warning("Integration inventory sync: run=%s had no live chunk; closed", run.pk)


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
    finish_run_if_complete(run_id)
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
