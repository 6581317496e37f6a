"""Full syncs: one SyncRun per integration at a time, split into chunk tasks, counted with F().

A full sync re-checks every link (clean, dirty, failing and broken ones), repairing drift
made in the shop. Chunks are idempotent: a redelivered or repeated chunk rereads the ledger
and the shop and writes only what still differs; its counters are added once.
"""

import functools
import logging
import math
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import outbox
from integrations.models import Integration, ProductLink, SyncChunk, SyncLogEntry, SyncRun
from integrations.reasons import describe_failure
from integrations.results import SyncResult
from integrations.sync import follow_up, sync_links

logger = logging.getLogger("integrations.sync")

DEFAULT_MAX_IDS_PER_READ = 250  # the client's default ids per list request
HISTORY_RUNS = 5


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


def start_full_sync(integration: Integration, *, trigger: str, user=None, dry_run=False) -> SyncRun:
    """Create a full run split into chunks and enqueue them after commit.

    Returns the run already in progress instead when there is one (whoever started it);
    raises SyncRefused when the integration cannot sync.
    """
    reason = refusal(integration)
    if reason:
        raise SyncRefused(reason)
    running = active_full_run(integration)
    if running is not None:
        return running
    try:
        with transaction.atomic():
            run = _create_run(integration, trigger=trigger, user=user, dry_run=dry_run)
    except IntegrityError:
        # Another request created it between our check and our insert (one_active_full_run).
        return active_full_run(integration)
    logger.info(
        "Integration inventory sync started: run=%s integration=%s trigger=%s products=%s "
        "chunks=%s dry_run=%s",
        run.pk,
        integration.pk,
        trigger,
        run.total,
        run.chunks_total,
        dry_run,
    )
    return run


def _create_run(integration, *, trigger, user, dry_run) -> SyncRun:
    kind = SyncRun.Kind.SCHEDULED if trigger == SyncRun.Trigger.SCHEDULE else SyncRun.Kind.FULL
    run = SyncRun.objects.create(
        integration=integration, kind=kind, trigger=trigger, triggered_by=user, dry_run=dry_run
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
    if chunks:
        transaction.on_commit(functools.partial(enqueue_chunks, run.pk), robust=True)
    return run


def enqueue_chunks(run_id: int) -> int:
    """Send the run's chunks not sent yet to the integrations queue; returns how many.

    A chunk records its task id only once the broker took it, so the periodic drain can
    re-send exactly the chunks whose enqueue failed (broker down), and no others.
    """
    from integrations.tasks import sync_chunk_task

    sent = 0
    for chunk_id in SyncChunk.objects.filter(
        run_id=run_id, status=SyncChunk.Status.QUEUED, task_id=""
    ).values_list("pk", flat=True):
        task_id = str(uuid.uuid4())
        try:
            sync_chunk_task.apply_async((chunk_id,), task_id=task_id)
        except Exception:
            logger.warning(
                "Integration inventory sync: could not enqueue chunk=%s of run=%s; "
                "the periodic drain will send it again",
                chunk_id,
                run_id,
                exc_info=True,
            )
            break
        SyncChunk.objects.filter(pk=chunk_id, task_id="").update(task_id=task_id)
        sent += 1
    return sent


def sync_chunk(chunk_id: int, *, token: str | None = None) -> SyncResult:
    """Run one chunk of a full sync. Idempotent: a finished chunk is not run again."""
    chunk = SyncChunk.objects.select_related("run__integration").get(pk=chunk_id)
    run, integration = chunk.run, chunk.run.integration
    if chunk.status in (SyncChunk.Status.DONE, SyncChunk.Status.FAILED):
        return SyncResult()
    reason = refusal(integration)
    if reason:
        fail_chunk(chunk_id, reason)
        return SyncResult()
    _mark_started(chunk)
    token = token or chunk.task_id or outbox.new_token()
    result = sync_links(integration, chunk.link_ids, run=run, token=token)
    finish_chunk(chunk_id, result)
    follow_up(integration, result)
    return result


def _mark_started(chunk: SyncChunk) -> None:
    now = timezone.now()
    SyncChunk.objects.filter(pk=chunk.pk).update(
        status=SyncChunk.Status.RUNNING, attempts=F("attempts") + 1, started_at=now
    )
    SyncRun.objects.filter(pk=chunk.run_id, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING, started_at=now
    )


def finish_chunk(chunk_id: int, result: SyncResult) -> None:
    """Record a finished chunk once, add its counts to the run, finish the run if last."""
    chunk = SyncChunk.objects.select_related("run").get(pk=chunk_id)
    if chunk.run.dry_run:
        changed, failed = result.changed, result.failed
    else:
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
    _close_chunk(chunk, SyncChunk.Status.DONE, changed, failed, result.requests, "")


def fail_chunk(chunk_id: int, error) -> None:
    """Record a chunk that gave up (retries exhausted, or the integration cannot sync).

    `error` is the refusal's text or the shop failure that exhausted the retries.
    """
    chunk = SyncChunk.objects.select_related("run__integration").get(pk=chunk_id)
    message = describe_failure(error, key=chunk.run.integration.api_key)
    _close_chunk(chunk, SyncChunk.Status.FAILED, 0, len(chunk.link_ids), 0, message)


def _close_chunk(chunk, status, changed, failed, requests, error) -> None:
    processed = len(chunk.link_ids)
    closed = SyncChunk.objects.filter(
        pk=chunk.pk, status__in=[SyncChunk.Status.QUEUED, SyncChunk.Status.RUNNING]
    ).update(
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
        chunks_done=F("chunks_done") + 1,
    )
    _finish_run_if_complete(chunk.run_id)


def _finish_run_if_complete(run_id: int) -> None:
    run = SyncRun.objects.get(pk=run_id)
    if run.chunks_done < run.chunks_total or not run.is_active:
        return
    failed_chunks = list(
        run.chunks.filter(status=SyncChunk.Status.FAILED).values_list("error", flat=True)
    )
    if len(failed_chunks) == run.chunks_total:
        status = SyncRun.Status.FAILED
    elif failed_chunks or run.failed:
        status = SyncRun.Status.DONE_WITH_ERRORS
    else:
        status = SyncRun.Status.DONE
    finished = SyncRun.objects.filter(pk=run_id, status__in=SyncRun.ACTIVE).update(
        status=status, finished_at=timezone.now(), error=failed_chunks[0] if failed_chunks else ""
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


@dataclass(frozen=True)
class Estimate:
    products: int
    chunks: int
    seconds: float
    from_history: bool  # measured on recent runs, or a conservative guess from the rate limit


def estimate(integration: Integration) -> Estimate:
    """How long a full sync would take: measured throughput, else a cautious guess."""
    products = integration.links.count()
    chunks = math.ceil(products / max(integration.chunk_size, 1))
    rate = measured_rate(integration)
    if rate:
        return Estimate(products, chunks, products / rate, True)
    # No history: assume every row differs, so one read per id batch plus one write each.
    requests = products + math.ceil(products / DEFAULT_MAX_IDS_PER_READ)
    seconds = requests * 60 / max(integration.requests_per_minute, 1)
    return Estimate(products, chunks, seconds, False)


def measured_rate(integration: Integration) -> float | None:
    """Products per second over the integration's recent finished full runs."""
    runs = SyncRun.objects.filter(
        integration=integration,
        kind__in=SyncRun.FULL_KINDS,
        status__in=[SyncRun.Status.DONE, SyncRun.Status.DONE_WITH_ERRORS],
        dry_run=False,
        started_at__isnull=False,
        finished_at__isnull=False,
        processed__gt=0,
    ).values_list("processed", "started_at", "finished_at")[:HISTORY_RUNS]
    processed = seconds = 0.0
    for count, started, finished in runs:
        processed += count
        seconds += max((finished - started).total_seconds(), 0.001)
    return processed / seconds if processed else None


def eta_seconds(run: SyncRun) -> float | None:
    """Seconds left for an active run, from its own progress so far."""
    if not run.is_active or not run.started_at or not run.processed:
        return None
    elapsed = (timezone.now() - run.started_at).total_seconds()
    return max(run.total - run.processed, 0) * elapsed / run.processed
