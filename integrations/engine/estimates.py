"""How long a full sync takes: measured on recent runs, or a cautious guess from the rate."""

import math
from dataclasses import dataclass

from django.utils import timezone

from integrations.engine import batching
from integrations.models import Integration, SyncRun

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
    seconds = guessed_requests(integration, products) * 60 / max(integration.requests_per_minute, 1)
    return Estimate(products, chunks, seconds, False)


def guessed_requests(integration: Integration, products: int) -> int:
    """No history: assume every row differs. Per chunk one read, the writes (one per row, or
    per multi-row write of the size in force) and the re-read that verifies them."""
    size = max(integration.chunk_size, 1)
    rows_per_write = integration.batch_size if batching.uses_batches(integration) else 1
    full, rest = divmod(products, size)
    chunks = [size] * full + ([rest] if rest else [])
    return sum(2 + math.ceil(links / max(rows_per_write, 1)) for links in chunks)


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
