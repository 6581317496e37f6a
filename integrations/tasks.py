"""Celery tasks, and the only code that enqueues: thin wrappers over the engine.

acks_late is safe because every task is level-based: it carries ids, rereads the ledger and
the shop when it runs, and clears a mark only if it did not move. Retries follow the error's
type, each on its own budget: a 429 after Retry-After (60 s without it, at most
INVSYNC_RETRY_AFTER_MAX), 3 times; 5xx and timeouts with exponential backoff and jitter, 5
times; a configuration error (key, permission) never. A chunk attempt that finished some links
starts both budgets afresh: only a chunk that stopped making progress gives up. The budgets
travel in the task's ``retries`` keyword ({"rate_limited": n, "temporary": n}).

The engine never enqueues: it reports what must be sent (links that moved while held, chunks
of a new run, integrations whose marks are due) and the functions here send it, after the
commit of the transaction that made the work.
"""

import functools
import logging
import re
from dataclasses import asdict
from datetime import timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.engine import (
    connection,
    drain,
    orders,
    pacing,
    periodic,
    reports,
    resync,
    runs,
    shop,
)
from integrations.engine.recording import SyncResult
from integrations.models import Integration, StockReport, SyncChunk, SyncRun
from integrations.notify import delivery, events
from integrations.prestashop import PrestaShopError, RateLimited, ShopTemporaryError

logger = logging.getLogger("integrations.sync")

RATE_LIMIT_RETRIES = 3
RATE_LIMIT_DEFAULT_WAIT = 60
TEMPORARY_RETRIES = 5
BACKOFF_FACTOR = 5
BACKOFF_MAX = 600
_URL_CREDENTIALS = re.compile(r"//[^/@\s]+@")


BUDGETS = {"rate_limited": RATE_LIMIT_RETRIES, "temporary": TEMPORARY_RETRIES}


def budget_of(error: PrestaShopError) -> str | None:
    """Which retry budget this error spends; None: it is never retried."""
    if isinstance(error, RateLimited):
        return "rate_limited"
    if isinstance(error, ShopTemporaryError):
        return "temporary"
    return None


def rate_limit_wait(error: RateLimited) -> float:
    """The Retry-After asked for (60 s without one), capped at INVSYNC_RETRY_AFTER_MAX."""
    wait = RATE_LIMIT_DEFAULT_WAIT if error.retry_after is None else error.retry_after
    return min(max(wait, 0.0), float(settings.INVSYNC_RETRY_AFTER_MAX))


def next_retry(error: PrestaShopError, spent: dict | None) -> tuple[float | None, dict]:
    """(seconds before the next try, the budgets spent then), or (None, spent) to give up."""
    spent = dict(spent or {})
    budget = budget_of(error)
    used = spent.get(budget, 0)
    if budget is None or used >= BUDGETS[budget]:
        return None, spent
    spent[budget] = used + 1
    if budget == "rate_limited":
        return rate_limit_wait(error), spent
    return get_exponential_backoff_interval(BACKOFF_FACTOR, used, BACKOFF_MAX, True), spent


def retry_or_fail(task, error: PrestaShopError, spent: dict | None, give_up=None, wait=None):
    """Retry the task as the error asks, or call give_up(error) and let the task fail.

    ``wait(seconds)``, if given, is told the delay before the retry is sent.
    """
    delay, spent = next_retry(error, spent)
    if delay is None:
        if give_up is not None:
            give_up(error)
        raise error
    if wait is not None:
        wait(delay)
    raise task.retry(exc=error, countdown=delay, kwargs={"retries": spent})


# max_retries=None: the budgets above decide, per kind of failure.
@shared_task(bind=True, acks_late=True, max_retries=None)
def drain_task(self, integration_id: int, retries: dict | None = None) -> dict:
    """Sync the due dirty links of one integration (sent after a stock change commits)."""
    try:
        result = drain.drain(integration_id, token=self.request.id)
    except PrestaShopError as error:
        retry_or_fail(self, error, retries)
    follow_up(integration_id, result)
    return result.counts()


@shared_task(acks_late=True)
def drain_all_task() -> dict:
    """The periodic drain: housekeeping, then a drain per integration with due marks."""
    done = periodic.housekeeping()
    for run_id in done.unsent_run_ids:  # chunks never sent, or sent again after a lost worker
        send_chunks(run_id)
    for integration_id in done.drain_ids:
        drain_task.delay(integration_id)
    for integration_id in orders.integrations_reading_orders():
        read_orders_task.delay(integration_id)
    send_alerts_check()
    return asdict(done)


def send_alerts_check() -> None:
    """Enqueue the minute's alerts check on the bulk queue (a slow mail server never holds up
    a drain); a broker failure is logged, the next minute tries again. Never raises."""
    try:
        alerts_task.delay()
    except Exception as error:
        logger.warning("Could not enqueue the alerts check: %s", broker_failure(error))


@shared_task(acks_late=True)
def alerts_task() -> dict:
    """Record new stops, runs with errors and hour-old failures; send what waits (each once)."""
    pruned = events.prune()
    return {"new": events.collect(), "handled": delivery.send_pending(), "pruned": pruned}


@shared_task(bind=True, acks_late=True)
def read_orders_task(self, integration_id: int) -> dict:
    """The shop's new orders into the reservations (sent by the periodic drain each minute).

    Not retried: the next minute reads again. Changed reservations mark their links and the
    drains follow after the commit (receivers.mark_reserved); the other marks of changed
    orders get a drain here.
    """
    integration = Integration.objects.get(pk=integration_id)
    if not orders.reads_orders(integration) or not shop.can_sync(integration):
        return {}
    result = orders.refresh(integration, max_age=orders.max_age(), token=self.request.id)
    if result.orders:
        enqueue_drains({integration_id})  # orders move the shop's own stock: bring it back
    return asdict(result)


@shared_task(bind=True, acks_late=True, max_retries=None)
def sync_chunk_task(self, chunk_id: int, retries: dict | None = None) -> dict:
    """One attempt at a chunk of a full sync; when it gives up, the chunk is recorded as failed.

    An attempt that finished links (``settled``) made progress: its retry starts the budgets
    afresh. Any other exception has already failed the chunk with its reason. However the
    attempt ends, the run's next chunks go out if there is room for them (see send_chunks).
    """
    run_id, integration_id = SyncChunk.objects.values_list("run_id", "run__integration_id").get(
        pk=chunk_id
    )
    try:
        result = runs.sync_chunk(chunk_id, token=self.request.id)
        follow_up(integration_id, result)
        if result.error is not None:
            token = self.request.id or SyncChunk.objects.get(pk=chunk_id).task_id
            retry_or_fail(
                self,
                result.error,
                None if result.settled else retries,
                give_up=functools.partial(runs.fail_chunk, chunk_id),
                wait=functools.partial(
                    runs.wait_for_retry, chunk_id, token=token, error=result.error
                ),
            )
    finally:
        send_chunks(run_id)  # a chunk still retrying holds its place: nothing more goes out
    return result.counts()


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
        except Exception as error:
            pacing.unreserve(reserved[position:])
            logger.warning(
                "Integration inventory sync: could not enqueue chunk=%s of run=%s, the broker "
                "failed: %s. The periodic drain will send it again.",
                chunk_id,
                run_id,
                broker_failure(error),
            )
            return position
    return len(reserved)


@shared_task(acks_late=True)
def discrepancy_report_task(report_id: int) -> dict:
    """The discrepancy report, on the bulk queue: reads the shop, writes nothing to it."""
    report = reports.run_report(report_id)
    return {"status": report.status, "checked": report.checked, "differing": report.differing}


def start_discrepancy_report(integration: Integration, *, trigger: str, user=None) -> StockReport:
    """Start the integration's discrepancy report (or join the one going); sent after commit."""
    report, created = reports.start_report(integration, trigger=trigger, user=user)
    if created:
        transaction.on_commit(functools.partial(send_report, report.pk), robust=True)
    return report


def send_report(report_id: int) -> None:
    """Enqueue the report's task; a broker that fails ends the report with the reason."""
    try:
        discrepancy_report_task.delay(report_id)
    except Exception as error:
        reports.fail_unsent(report_id, broker_failure(error))


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
    stay dirty, and a drain that found another one running did nothing: make sure a drain
    comes for them.

    A drain sent by the change that moved them may have found them claimed by this pass (or
    by a full sync's chunk, which lets links it need not write go right after its read).
    """
    if result.moved or result.held or result.deferred:
        enqueue_drains({integration_id})


def schedule_drains(integration_ids: set[int]) -> None:
    """Enqueue a drain per integration once the current transaction commits.

    Several stock changes in one transaction register several callbacks; the drain slot
    (``_claim_drain_slot``) still lets only one drain per integration through.
    """
    if integration_ids:
        transaction.on_commit(functools.partial(enqueue_drains, set(integration_ids)), robust=True)


# The first drain after a quiet spell waits this share of the drain delay (0.1 s by default):
# enough for the changes one transaction commits together, short beside the delay itself.
QUIET_START = 0.1


def drain_delay() -> float:
    """Seconds between two drains of one integration (INVSYNC_DRAIN_DELAY, default 1).

    The first change after a quiet spell goes out almost at once (QUIET_START); a change
    within this many seconds of the last drain waits for the rest of the interval, so a
    burst of approvals touching the same products becomes one write per product in the next
    drain, which finds every mark of the burst.
    """
    return settings.INVSYNC_DRAIN_DELAY


def enqueue_drains(integration_ids: set[int]) -> None:
    """Send one drain task per integration unless one is already due; never raises.

    A burst of approvals thus becomes at most two drains (its first change almost at once,
    the rest together ``drain_delay()`` later). A broker failure is logged; the periodic drain syncs
    those marks.
    """
    delay = drain_delay()
    for integration_id in sorted(integration_ids):
        countdown = _claim_drain_slot(integration_id, delay)
        if countdown is None:
            continue
        try:
            drain_task.apply_async(
                (integration_id,),
                countdown=countdown,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
            )
        except Exception as error:
            Integration.objects.filter(pk=integration_id).update(drain_due_at=None)
            name = Integration.objects.filter(pk=integration_id).values_list("name", flat=True)
            logger.warning(
                "Integration inventory sync: could not enqueue the drain of integration=%s "
                "(%s), the broker failed: %s. Its marks are kept; the periodic drain syncs them.",
                integration_id,
                name.first(),
                broker_failure(error),
            )


def broker_failure(error: BaseException) -> str:
    """The broker's error as one line for the log: its class and message, no traceback.

    A broker outage is expected and handled (the marks wait in the database), so the log says
    what failed in one line; credentials in a URL the message may quote are masked.
    """
    text = " ".join(str(error).split()).rstrip(".") or "no message"
    return f"{type(error).__name__}: {_URL_CREDENTIALS.sub('//***@', text)}"


def _claim_drain_slot(integration_id: int, delay: float) -> float | None:
    """The countdown of a drain to send now, or None if one is already due.

    ``drain_due_at`` holds when the last drain was (or is) due. None due within ``delay``
    seconds before now: the drain goes after a tenth of ``delay`` (the changes committed
    together join it). One due lately: the next follows ``delay`` after it. One due in the
    future: nothing is sent, it takes this change too. Conditional UPDATEs, so two callers
    never both send.
    """
    now = timezone.now()
    step = timedelta(seconds=delay)
    slot = Integration.objects.filter(pk=integration_id)
    if slot.filter(Q(drain_due_at__isnull=True) | Q(drain_due_at__lte=now - step)).update(
        drain_due_at=now + step * QUIET_START
    ):
        return delay * QUIET_START
    if slot.filter(drain_due_at__lte=now).update(drain_due_at=F("drain_due_at") + step):
        due_at = slot.values_list("drain_due_at", flat=True).first()
        return max(0.0, (due_at - now).total_seconds()) if due_at else 0.0
    return None
