"""How long a full sync takes: measured on recent runs, or a cautious guess from the rate."""

import math
from dataclasses import dataclass

from django.utils import timezone

from integrations.models import Integration, SyncRun

DEFAULT_MAX_IDS_PER_READ = 250  # the client's default ids per list request
HISTORY_RUNS = 5


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
