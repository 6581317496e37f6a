"""The rate limiter's durable state on Integration: the learned rate ceiling (through the
limiter's hook) and the measured concurrency, with what the operator may do to them."""

from datetime import UTC, datetime

from django.utils import timezone

from integrations import ratelimit
from integrations.models import Integration
from integrations.ratelimit import CeilingHook, Learned, Status


def ceiling_hook(integration: Integration) -> CeilingHook:
    """Load and save the integration's learned rate ceiling in its row."""
    pk = integration.pk

    def load() -> Learned | None:
        row = Integration.objects.filter(pk=pk).values_list("rate_ceiling", "rate_ceiling_at")
        value, since = row.first() or (None, None)
        return None if since is None else Learned(value, since.timestamp())

    def save(learned: Learned) -> None:
        since = datetime.fromtimestamp(learned.since, tz=UTC)
        Integration.objects.filter(pk=pk).update(rate_ceiling=learned.value, rate_ceiling_at=since)

    return CeilingHook(load=load, save=save)


def reset_rate_ceiling(integration: Integration) -> None:
    """Forget the learned ceiling: the rate may climb back to the configured limit."""
    now = timezone.now()
    # The reset's time is stored: a process whose own ceiling is older adopts the reset.
    Integration.objects.filter(pk=integration.pk).update(rate_ceiling=None, rate_ceiling_at=now)
    integration.rate_ceiling, integration.rate_ceiling_at = None, now
    ratelimit.forget_learned(integration)


def record_concurrency(integration: Integration, value: int) -> None:
    """Store what ratelimit.measure_concurrency() found; "automatic" uses it from now on."""
    now = timezone.now()
    Integration.objects.filter(pk=integration.pk).update(
        measured_concurrency=value, measured_concurrency_at=now
    )
    integration.measured_concurrency, integration.measured_concurrency_at = value, now


def limiter_status(integration: Integration) -> Status:
    """The rate in force, the learned ceiling and any pause, as the workers see them."""
    return ratelimit.limiter_for(integration).status()
