"""Celery tasks of the sync engine: thin wrappers over plain functions, all idempotent.

acks_late is safe because every task is level-based: it carries ids, rereads the ledger and
the shop when it runs, and clears a mark only if it did not move. Retries follow the error's
type: a 429 after Retry-After (60 s without it), 3 times; 5xx and timeouts with exponential
backoff and jitter; a configuration error (key, permission) never.
"""

import functools
import logging
from dataclasses import asdict

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from integrations import periodic, runs, sync
from integrations.models import Integration
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
        return asdict(sync.drain(integration_id, token=self.request.id))
    except PrestaShopError as error:
        retry_or_fail(self, error)


@shared_task(acks_late=True)
def drain_all_task() -> dict:
    """The periodic drain: every integration with due marks gets a drain task."""
    return periodic.drain_all(drain_task.delay)


@shared_task(bind=True, acks_late=True, max_retries=TEMPORARY_RETRIES)
def sync_chunk_task(self, chunk_id: int) -> dict:
    """One chunk of a full sync; when it gives up, the chunk is recorded as failed."""
    try:
        return asdict(runs.sync_chunk(chunk_id, token=self.request.id))
    except PrestaShopError as error:
        retry_or_fail(self, error, give_up=functools.partial(runs.fail_chunk, chunk_id))


@shared_task(acks_late=True)
def start_full_sync_task(integration_id: int, trigger: str) -> int | None:
    """Start (or join) the integration's full sync; returns the run id, None if refused."""
    integration = Integration.objects.get(pk=integration_id)
    try:
        return runs.start_full_sync(integration, trigger=trigger).pk
    except runs.SyncRefused as refusal:
        # A schedule firing for a stopped integration is expected, not a task failure.
        logger.info(
            "Integration inventory sync not started: integration=%s %s", integration_id, refusal
        )
        return None


@shared_task(acks_late=True)
def nightly_full_sync_task() -> list[int]:
    """The 02:00 schedule: a full sync of every integration that can sync."""
    return periodic.start_nightly_runs()
