"""The start page's tile per shop: its state in words, last full sync, last failure, rate use.

Read from what the engine already records (links, runs, chunks, the sync log): a constant
number of queries for all shops together, whatever their number of links or runs.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from integrations.models import Integration, ProductLink, SyncChunk, SyncLogEntry, SyncRun
from integrations.panel.progress import format_duration

LIMIT_WINDOW = timedelta(hours=1)
FAILED_OUTCOMES = (SyncLogEntry.Outcome.FAILED, SyncLogEntry.Outcome.NOT_APPLIED)


class State:
    OK = "ok"
    DIFFERENCES = "differences"
    PENDING = "pending"
    HALTED = "halted"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Failure:
    at: datetime
    reason: str


@dataclass(frozen=True)
class ShopTile:
    integration: Integration
    state: str  # one of State
    state_text: str
    pending: int  # links waiting for a write
    oldest_pending: datetime | None
    differences: int  # links the sync could not make equal (failing or broken)
    last_run: SyncRun | None  # the last finished full sync
    active_run: SyncRun | None
    last_failure: Failure | None
    limit_share: int | None  # percent of the shop's request limit in use
    limit_basis: str  # what the share was measured over


def shop_tiles(*, now: datetime | None = None) -> list[ShopTile]:
    """One tile per integration, by name."""
    now = now or timezone.now()
    integrations = list(annotated_integrations())
    links = link_counts()
    runs = SyncRun.objects.in_bulk(
        {pk for i in integrations for pk in (i.last_run_id, i.active_run_id) if pk}
    )
    failures = last_failures(integrations)
    usage = limit_usage(integrations, runs, now=now)
    tiles = []
    for integration in integrations:
        pending, oldest, differences = links.get(integration.pk, (0, None, 0))
        state, text = describe_state(integration, pending, oldest, differences, now=now)
        share, basis = usage.get(integration.pk, (None, ""))
        tiles.append(
            ShopTile(
                integration=integration,
                state=state,
                state_text=text,
                pending=pending,
                oldest_pending=oldest,
                differences=differences,
                last_run=runs.get(integration.last_run_id),
                active_run=runs.get(integration.active_run_id),
                last_failure=failures.get(integration.pk),
                limit_share=share,
                limit_basis=basis,
            )
        )
    return tiles


def annotated_integrations():
    """Integrations with the ids of their last finished and their active full run."""
    full = SyncRun.objects.filter(integration=OuterRef("pk"), kind__in=SyncRun.FULL_KINDS)
    return Integration.objects.order_by("name").annotate(
        last_run_id=Subquery(
            full.filter(finished_at__isnull=False).order_by("-finished_at", "-pk").values("pk")[:1]
        ),
        active_run_id=Subquery(
            full.filter(status__in=SyncRun.ACTIVE).order_by("-created_at", "-pk").values("pk")[:1]
        ),
    )


def link_counts() -> dict[int, tuple[int, datetime | None, int]]:
    """integration id -> (links waiting, the oldest wait's start, links failing or broken)."""
    dirty = Q(dirty=True)
    rows = (
        ProductLink.objects.order_by()
        .values("integration_id")
        .annotate(
            pending=Count("pk", filter=dirty),
            oldest=Min("dirty_since", filter=dirty),
            differences=Count(
                "pk", filter=Q(state__in=[ProductLink.State.FAILING, ProductLink.State.BROKEN])
            ),
        )
    )
    return {
        row["integration_id"]: (row["pending"], row["oldest"], row["differences"]) for row in rows
    }


def describe_state(integration, pending, oldest, differences, *, now) -> tuple[str, str]:
    """The shop's state as one of State and the words the tile shows."""
    if not integration.active or integration.mode == Integration.Mode.DISABLED:
        return State.DISABLED, pgettext("shop state", "disabled")
    if integration.halted_at is not None:
        reason = integration.last_error or _("no reason recorded")
        return State.HALTED, _("stopped: %(reason)s") % {"reason": reason}
    if differences:
        text = ngettext("%(count)d discrepancy", "%(count)d discrepancies", differences)
        return State.DIFFERENCES, text % {"count": differences}
    if pending:
        text = ngettext("%(count)d change waiting", "%(count)d changes waiting", pending) % {
            "count": pending
        }
        if oldest is not None:
            age = format_duration((now - oldest).total_seconds())
            text = _("%(waiting)s, the oldest %(age)s ago") % {"waiting": text, "age": age}
        return State.PENDING, text
    return State.OK, pgettext("shop state", "in sync")


def last_failures(integrations) -> dict[int, Failure]:
    """integration id -> its latest failure: a stop, a failed write or a failed chunk."""
    ids = [integration.pk for integration in integrations]
    log = (
        SyncLogEntry.objects.filter(integration_id__in=ids, outcome__in=FAILED_OUTCOMES)
        .values("integration_id")
        .annotate(latest=Max("pk"))
        .values_list("latest", flat=True)
    )
    chunks = (
        SyncChunk.objects.filter(run__integration_id__in=ids, status=SyncChunk.Status.FAILED)
        .values("run__integration_id")
        .annotate(latest=Max("pk"))
        .values_list("latest", flat=True)
    )
    found: dict[int, list[Failure]] = {pk: [] for pk in ids}
    for entry in SyncLogEntry.objects.filter(pk__in=list(log)):
        reason = entry.message or entry.get_outcome_display()
        found[entry.integration_id].append(Failure(entry.created_at, f"{entry.sku}: {reason}"))
    for chunk in SyncChunk.objects.filter(pk__in=list(chunks)).select_related("run"):
        at = chunk.finished_at or chunk.run.created_at
        found[chunk.run.integration_id].append(Failure(at, chunk.error))
    for integration in integrations:
        if integration.last_error and integration.last_error_at:
            found[integration.pk].append(Failure(integration.last_error_at, integration.last_error))
    return {pk: max(items, key=lambda f: f.at) for pk, items in found.items() if items}


def limit_usage(integrations, runs: dict, *, now) -> dict[int, tuple[int, str]]:
    """integration id -> (percent of its request limit in use, over what it was measured).

    While a full sync runs: its requests since it started. Otherwise: the requests of the
    runs of the last hour, spread evenly over each run's time, against an hour's limit.
    """
    usage = {}
    since = now - LIMIT_WINDOW
    recent = requests_between(since, now)
    for integration in integrations:
        per_minute = max(integration.requests_per_minute, 1)
        run = runs.get(integration.active_run_id)
        if run is not None and run.started_at is not None:
            minutes = max((now - run.started_at).total_seconds() / 60, 1 / 60)
            usage[integration.pk] = (round(100 * run.requests / minutes / per_minute), _("now"))
            continue
        used = recent.get(integration.pk, 0.0)
        minutes = LIMIT_WINDOW.total_seconds() / 60
        usage[integration.pk] = (round(100 * used / minutes / per_minute), _("last hour"))
    return usage


def requests_between(start: datetime, end: datetime) -> dict[int, float]:
    """integration id -> requests its full runs sent between the two moments (pro rata)."""
    totals: dict[int, float] = {}
    for run in runs_overlapping(start, end):
        share = overlap_share(run, start, end, now=end)
        totals[run.integration_id] = totals.get(run.integration_id, 0.0) + run.requests * share
    return totals


def runs_overlapping(start: datetime, end: datetime):
    """Runs that sent requests and were running at some moment between start and end."""
    return SyncRun.objects.filter(
        requests__gt=0, started_at__isnull=False, started_at__lt=end
    ).filter(Q(finished_at__isnull=True) | Q(finished_at__gt=start))


def overlap_share(run: SyncRun, start: datetime, end: datetime, *, now: datetime) -> float:
    """The part of the run's time (started to finished, or to now) that lies in [start, end)."""
    run_end = run.finished_at or now
    duration = (run_end - run.started_at).total_seconds()
    if duration <= 0:
        return 1.0 if start <= run.started_at < end else 0.0
    inside = (min(run_end, end) - max(run.started_at, start)).total_seconds()
    return max(inside, 0.0) / duration
