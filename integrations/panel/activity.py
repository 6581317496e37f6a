"""What the sync did per hour (last 24 hours) and per day (last 30 days), for the start page.

Rows written, differences found and failures come from the sync log (one entry per write or
failed link) and from failed chunks; requests from the full runs, each run's count spread
evenly over its time. Drains record no request count, so their requests are not included.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.models import SyncChunk, SyncLogEntry
from integrations.panel.dashboard import FAILED_OUTCOMES, overlap_share, runs_overlapping

SERIES = (
    ("written", _("Rows written")),
    ("differences", _("Differences found")),
    ("failures", _("Failures")),
    ("requests", _("Requests (full syncs)")),
)


@dataclass(frozen=True)
class Window:
    name: str  # "day" (24 hourly buckets) or "month" (30 daily buckets)
    starts: list[datetime]  # the start of each bucket, oldest first
    step: timedelta
    series: dict[str, list[int]]  # SERIES key -> one value per bucket

    @property
    def end(self) -> datetime:
        return self.starts[-1] + self.step


def last_day(*, now: datetime | None = None) -> Window:
    """24 hourly buckets, the last one holding the current hour."""
    now = now or timezone.now()
    # Whole hours counted in UTC, so a DST change neither skips nor repeats a bucket.
    first = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    starts = [timezone.localtime(first + timedelta(hours=n)) for n in range(24)]
    return _window("day", starts, timedelta(hours=1), TruncHour, now=now)


def last_month(*, now: datetime | None = None) -> Window:
    """30 daily buckets (local days), the last one holding today."""
    now = timezone.localtime(now or timezone.now())
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [_local_midnight(today - timedelta(days=29 - n)) for n in range(30)]
    return _window("month", starts, timedelta(days=1), TruncDay, now=now)


def _local_midnight(moment: datetime) -> datetime:
    """The same calendar day's midnight in the current time zone (DST moves the offset)."""
    return timezone.make_aware(moment.replace(tzinfo=None), timezone.get_current_timezone())


def _window(name, starts, step, trunc, *, now) -> Window:
    series = {key: [0] * len(starts) for key, _label in SERIES}
    bucket_of = {start: index for index, start in enumerate(starts)}
    span = (starts[0], starts[-1] + step)
    for row in log_counts(span, trunc):
        index = _index(bucket_of, row["bucket"])
        for key in ("written", "differences", "failures"):
            series[key][index] += row[key]
    for row in failed_chunk_counts(span, trunc):
        series["failures"][_index(bucket_of, row["bucket"])] += row["products"] or 0
    series["requests"] = spread_requests(starts, step, now=now)
    return Window(name=name, starts=starts, step=step, series=series)


def log_counts(span: tuple[datetime, datetime], trunc):
    """Per bucket of the sync log: rows written, differences found, failed links (one query)."""
    return (
        SyncLogEntry.objects.filter(created_at__gte=span[0], created_at__lt=span[1])
        .annotate(bucket=trunc("created_at", tzinfo=timezone.get_current_timezone()))
        .values("bucket")
        .annotate(
            written=Count("pk", filter=Q(outcome=SyncLogEntry.Outcome.WRITTEN)),
            differences=Count("pk", filter=Q(quantity_before__isnull=False)),
            failures=Count("pk", filter=Q(outcome__in=FAILED_OUTCOMES)),
        )
        .order_by()
    )


def failed_chunk_counts(span: tuple[datetime, datetime], trunc):
    """Per bucket: products of chunks that gave up (they have no log entries; one query)."""
    return (
        SyncChunk.objects.filter(
            status=SyncChunk.Status.FAILED, finished_at__gte=span[0], finished_at__lt=span[1]
        )
        .annotate(bucket=trunc("finished_at", tzinfo=timezone.get_current_timezone()))
        .values("bucket")
        .annotate(products=Sum("failed"))
        .order_by()
    )


def _index(bucket_of: dict, bucket: datetime) -> int:
    """The bucket's position; a database's truncation compared in local time."""
    return bucket_of[timezone.localtime(bucket)]


def spread_requests(starts: list[datetime], step: timedelta, *, now: datetime) -> list[int]:
    """Requests of the full runs per bucket, each run's count spread over its time."""
    totals = [0.0] * len(starts)
    for run in runs_overlapping(starts[0], starts[-1] + step):
        for index, start in enumerate(starts):
            totals[index] += run.requests * overlap_share(run, start, start + step, now=now)
    return [round(value) for value in totals]
