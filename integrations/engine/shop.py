"""The engine's door to a shop: a configured client, and what a shop-wide failure does to
the integration. Per-link outcomes are recorded by integrations.engine.recording."""

import logging

from django.conf import settings
from django.utils import timezone

from integrations.encryption import ApiKeyUnreadable
from integrations.models import Integration
from integrations.prestashop import PrestaShopClient, RetryPolicy, ShopConfigError
from integrations.ratelimit.policy import BULK
from integrations.reasons import describe_failure

logger = logging.getLogger("integrations.sync")


def client_for(
    integration: Integration, *, lane: str = BULK, wrap_limiter=None
) -> PrestaShopClient:
    """A client for this integration's shop, sharing the integration's one rate limiter
    (passed through `wrap_limiter(limiter)` when given, e.g. to time each exchange).

    ``lane`` is the limiter's lane: LIVE for the drains that carry a stock change (served
    first), BULK for full-sync chunks, pulls and reports. A stored key no configured
    encryption key opens stops the integration, as a refused key does, and raises
    ApiKeyUnreadable (a ShopConfigError).
    """
    from integrations.ratelimit import limiter_for  # the limiter module may load Redis

    try:
        key = integration.api_key
    except ApiKeyUnreadable as error:
        halt(integration, error)
        raise
    limiter = limiter_for(integration, lane=lane)
    return PrestaShopClient(
        integration.shop_url,
        key,
        shop_id=integration.shop_id,
        verify_tls=integration.verify_tls,
        limiter=wrap_limiter(limiter) if wrap_limiter else limiter,
        timeout=shop_timeout(),
        retry=retry_policy(),
    )


def unlimited_client(integration: Integration) -> PrestaShopClient:
    """A client without the rate limiter and without retries: for measuring the shop itself
    (the limiter's pace would serialise parallel reads). Use it for a handful of requests."""
    return PrestaShopClient(
        integration.shop_url,
        integration.api_key,
        shop_id=integration.shop_id,
        verify_tls=integration.verify_tls,
        timeout=shop_timeout(),
        retry=RetryPolicy.disabled(),
    )


def retry_policy() -> RetryPolicy:
    """Per-request retries (INVSYNC_SHOP_RETRIES, INVSYNC_SHOP_RATE_LIMIT_RETRIES).

    Short waits only, spent in the worker: a Retry-After longer than
    INVSYNC_SHOP_RETRY_AFTER_WAIT goes to the task, which comes back when the shop asked
    without holding a worker. A write retried after a lost answer leaves its row in the
    client's uncertain_rows, which the engine reads again later (failures.mark_uncertain).
    """
    wait = settings.INVSYNC_SHOP_RETRY_AFTER_WAIT
    return RetryPolicy(
        temporary_retries=settings.INVSYNC_SHOP_RETRIES,
        rate_limited_retries=settings.INVSYNC_SHOP_RATE_LIMIT_RETRIES,
        retry_after_cap=wait,
        rate_limited_delay=wait,
    )


def shop_timeout() -> tuple[float, float]:
    """(connect, read) seconds: INVSYNC_SHOP_CONNECT_TIMEOUT / INVSYNC_SHOP_READ_TIMEOUT."""
    return (
        settings.INVSYNC_SHOP_CONNECT_TIMEOUT,
        settings.INVSYNC_SHOP_READ_TIMEOUT,
    )


def can_sync(integration: Integration) -> bool:
    """Whether the engine may talk to this shop now (active, not stopped by a config error)."""
    return integration.active and integration.halted_at is None


def pushes(integration: Integration) -> bool:
    """Whether a drain sends this integration's marks now (local -> shop, may sync)."""
    return integration.mode == Integration.Mode.LOCAL_TO_PRESTA and can_sync(integration)


def came_back(before: Integration | None, after: Integration) -> bool:
    """Whether an edit (re-enabled, stop cleared, mode back to local -> shop) lets the marks
    that waited meanwhile go out now: the caller drains them at once."""
    return before is not None and not pushes(before) and pushes(after)


def halt(integration: Integration, error: ShopConfigError) -> None:
    """Stop the integration's sync until a human fixes the key or the permissions."""
    now = timezone.now()
    # Stored rendered: workers run in settings.LANGUAGE_CODE, the operator's language.
    message = describe_failure(error, key=integration.readable_api_key)
    Integration.objects.filter(pk=integration.pk).update(
        halted_at=now, last_error=message, last_error_at=now
    )
    integration.halted_at, integration.last_error, integration.last_error_at = now, message, now
    logger.error(
        "Integration inventory sync stopped: integration=%s reason=%s",
        integration.pk,
        message,
    )
