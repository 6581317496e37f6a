"""Celery tasks, and the only code that enqueues: thin wrappers over the engine.

acks_late is safe because every task is level-based: it carries ids, rereads the ledger and
the shop when it runs, and clears a mark only if it did not move. Retries follow the error's
type: a 429 after Retry-After (60 s without it), 3 times; 5xx and timeouts with exponential
backoff and jitter; a configuration error (key, permission) never.

The engine never enqueues: it reports what must be sent (links that moved while held, chunks
of a new run, integrations whose marks are due) and the functions here send it, after the
commit of the transaction that made the work.
"""

import functools
import logging
from dataclasses import asdict
from datetime import timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.engine import connection, drain, pacing, periodic, resync, runs, shop
from integrations.engine.recording import SyncResult
from integrations.models import Integration, SyncChunk, SyncRun
from integrations.prestashop import PrestaShopError, RateLimited, ShopTemporaryError

logger = logging.getLogger("integrations.sync")

RATE_LIMIT_RETRIES = 3
RATE_LIMIT_DEFAULT_WAIT = 60
TEMPORARY_RETRIES = 5
BACKOFF_FACTOR = 5
BACKOFF_MAX = 600


def retry_delay(error: PrestaShopError, retries: int) -> float | None:
    """Seconds before the next try after this error, or None to give up now."""
    if isinstance(error, RateLimited):
        if retries >= RATE_LIMIT_RETRIES:
            return None
        return RATE_LIMIT_DEFAULT_WAIT if error.retry_after is None else error.retry_after
    if isinstance(error, ShopTemporaryError) and retries < TEMPORARY_RETRIES:
        return get_exponential_backoff_interval(BACKOFF_FACTOR, retries, BACKOFF_MAX, True)
    return None


def retry_or_fail(task, error: PrestaShopError, give_up=None):
    """Retry the task as the error asks, or call give_up(error) and let the task fail."""
    delay = retry_delay(error, task.request.retries)
    if delay is None:
        if give_up is not None:
            give_up(error)
        raise error
    limit = RATE_LIMIT_RETRIES if isinstance(error, RateLimited) else TEMPORARY_RETRIES
    raise task.retry(exc=error, countdown=delay, max_retries=limit)


@shared_task(bind=True, acks_late=True, max_retries=TEMPORARY_RETRIES)
def drain_task(self, integration_id: int) -> dict:
    """Sync the due dirty links of one integration (sent after a stock change commits)."""
    try:
        result = drain.drain(integration_id, token=self.request.id)
    except PrestaShopError as error:
        retry_or_fail(self, error)
    follow_up(integration_id, result)
    return asdict(result)


@shared_task(acks_late=True)
def drain_all_task() -> dict:
    """The periodic drain: housekeeping, then a drain per integration with due marks."""
    done = periodic.housekeeping()
    for run_id in done.unsent_run_ids:
        send_chunks(run_id)
    for integration_id in done.drain_ids:
        drain_task.delay(integration_id)
    return asdict(done)


@shared_task(bind=True, acks_late=True, max_retries=TEMPORARY_RETRIES)
def sync_chunk_task(self, chunk_id: int) -> dict:
    """One chunk of a full sync; when it gives up, the chunk is recorded as failed.

    A chunk that ends, however it ends, sends the run's next chunk (see send_chunks).
    """
    try:
        result = runs.sync_chunk(chunk_id, token=self.request.id)
    except PrestaShopError as error:
        retry_or_fail(self, error, give_up=functools.partial(_give_up_chunk, chunk_id))
    run_id, integration_id = SyncChunk.objects.values_list("run_id", "run__integration_id").get(
        pk=chunk_id
    )
    send_chunks(run_id)
    follow_up(integration_id, result)
    return asdict(result)


def _give_up_chunk(chunk_id: int, error: PrestaShopError) -> None:
    runs.fail_chunk(chunk_id, error)
    send_chunks(SyncChunk.objects.values_list("run_id", flat=True).get(pk=chunk_id))


@shared_task(acks_late=True)
def start_full_sync_task(integration_id: int, trigger: str) -> int | None:
    """Start (or join) the integration's full sync; returns the run id, None if refused."""
    integration = Integration.objects.get(pk=integration_id)
    try:
        return start_full_sync(integration, trigger=trigger).pk
    except runs.SyncRefused as refusal:
        # A schedule firing for a stopped integration is expected, not a task failure.
        logger.info(
            "Integration inventory sync not started: integration=%s %s", integration_id, refusal
        )
        return None


@shared_task(acks_late=True)
def nightly_full_sync_task() -> list[int]:
    """The 02:00 schedule: a full sync of every integration that can sync."""
    return [
        start_full_sync(integration, trigger=SyncRun.Trigger.SCHEDULE).pk
        for integration in periodic.nightly_integrations()
    ]


def start_full_sync(integration: Integration, *, trigger: str, user=None) -> SyncRun:
    """Start (or join) a full run and send its chunks after commit; raises runs.SyncRefused."""
    run = runs.start_full_sync(integration, trigger=trigger, user=user)
    if run.is_active:
        transaction.on_commit(functools.partial(send_chunks, run.pk), robust=True)
    return run


def send_chunks(run_id: int) -> int:
    """Send the run's next chunks to the bulk queue, up to the chunks in flight; never raises.

    Called when a run starts, by every chunk that ends and by the periodic drain: the broker
    holds at most INVSYNC_SYNC_CHUNKS_IN_FLIGHT of a run's chunks, the shop's pace sets the
    run's, and a drain sent meanwhile never waits behind the whole run. A chunk whose enqueue
    failed (broker down) gets its reservation back; the periodic drain sends it again.
    Returns how many were sent.
    """
    reserved = pacing.reserve_chunks(run_id)
    for position, (chunk_id, task_id) in enumerate(reserved):
        try:
            sync_chunk_task.apply_async((chunk_id,), task_id=task_id)
        except Exception:
            pacing.unreserve(reserved[position:])
            logger.warning(
                "Integration inventory sync: could not enqueue chunk=%s of run=%s; "
                "the periodic drain will send it again",
                chunk_id,
                run_id,
                exc_info=True,
            )
            return position
    return len(reserved)


def check_connection(integration: Integration) -> connection.ConnectionCheck:
    """The connection test; one that clears a stop drains the waiting marks at once."""
    check = connection.check_connection(integration)
    if check.resumed:
        schedule_drains({integration.pk})
    return check


def drain_if_back(before: Integration | None, after: Integration) -> bool:
    """After an edit of the integration: drain its waiting marks at once if the edit lets
    them go out again (re-enabled, stop cleared, mode back to local -> shop)."""
    back = shop.came_back(before, after)
    if back:
        schedule_drains({after.pk})
    return back


def resync_links(link_ids) -> resync.ResyncOutcome:
    """Mark these links dirty and due now; drain their integrations after commit."""
    outcome = resync.mark_for_resync(link_ids)
    schedule_drains(outcome.drain_ids)
    return outcome


def follow_up(integration_id: int, result: SyncResult) -> None:
    """Links changed while a pass held them, or held by another task when the drain came,
    stay dirty: make sure a drain comes for them.

    A drain sent by the change that moved them may have found them claimed by this pass (or
    by a full sync's chunk, which lets links it need not write go right after its read).
    """
    if result.moved or result.held:
        enqueue_drains({integration_id})


def schedule_drains(integration_ids: set[int]) -> None:
    """Enqueue a drain per integration once the current transaction commits.

    Several stock changes in one transaction register several callbacks; the drain slot
    (``_claim_drain_slot``) still lets only one drain per integration through.
    """
    if integration_ids:
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
