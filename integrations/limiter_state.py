"""The rate limiter's durable state on Integration: the learned rate ceiling (through the
limiter's hook) and the measured concurrency, with what the operator may do to them."""

from datetime import UTC, datetime

from django.utils import timezone

from integrations import ratelimit
from integrations.models import Integration
from integrations.ratelimit import CeilingHook, Learned, Status


def ceiling_hook(integration: Integration) -> CeilingHook:
    """Load and save the integration's learned rate ceiling in its row."""
    stored = _StoredCeiling(integration)
    return CeilingHook(load=stored.load, save=stored.save)


class _StoredCeiling:
    def __init__(self, integration: Integration):
        self.pk = integration.pk
        # The row as the caller read it: the first load costs no query (a limiter is made
        # per task, right after the task read its integration).
        self.row: tuple | None = (integration.rate_ceiling, integration.rate_ceiling_at)

    def load(self) -> Learned | None:
        if self.row is None:
            rows = Integration.objects.filter(pk=self.pk)
            self.row = rows.values_list("rate_ceiling", "rate_ceiling_at").first()
        (value, since), self.row = self.row or (None, None), None
        return None if since is None else Learned(value, since.timestamp())

    def save(self, learned: Learned) -> None:
        since = datetime.fromtimestamp(learned.since, tz=UTC)
        rows = Integration.objects.filter(pk=self.pk)
        rows.update(rate_ceiling=learned.value, rate_ceiling_at=since)


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
