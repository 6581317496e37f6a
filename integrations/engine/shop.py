"""The engine's door to a shop: a configured client, and what a shop-wide failure does to
the integration. Per-link outcomes are recorded by integrations.engine.recording."""

import logging

from django.conf import settings
from django.utils import timezone

from integrations.models import Integration
from integrations.prestashop import PrestaShopClient, ShopConfigError
from integrations.ratelimit.policy import BULK
from integrations.reasons import describe_failure

logger = logging.getLogger("integrations.sync")


def client_for(integration: Integration, *, lane: str = BULK) -> PrestaShopClient:
    """A client for this integration's shop, sharing the integration's one rate limiter.

    ``lane`` is the limiter's lane: LIVE for the drains that carry a stock change (served
    first), BULK for full-sync chunks, pulls and reports.
    """
    from integrations.ratelimit import limiter_for  # the limiter module may load Redis

    return PrestaShopClient(
        integration.shop_url,
        integration.api_key,
        shop_id=integration.shop_id,
        verify_tls=integration.verify_tls,
        limiter=limiter_for(integration, lane=lane),
        timeout=shop_timeout(),
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
    message = describe_failure(error, key=integration.api_key)
    Integration.objects.filter(pk=integration.pk).update(
        halted_at=now, last_error=message, last_error_at=now
    )
    integration.halted_at, integration.last_error, integration.last_error_at = now, message, now
    logger.error(
        "Integration inventory sync stopped: integration=%s reason=%s",
        integration.pk,
        message,
    )
