"""The events worth telling, found from the state each minute and recorded once as Alerts.

- a stop: the integration's halted_at is set (one alert per stop, keyed by its time);
- a run that ended with errors or failed (one per run, for runs that ended in the last day);
- a failure left for an hour (INVSYNC_ALERT_FAILURE_AGE_MINUTES): a product link still failing
  since then (one per link and failure: a link that recovers and fails again is a new one), and
  a failed task still in the failed-task list (one per task, for failures of the last week).

Alerts are kept INVSYNC_LOG_RETENTION_DAYS, like the sync log: what is still wrong after that
is told once more.
"""

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.models import (
    Alert,
    FailedTask,
    Integration,
    ProductLink,
    StockReport,
    SyncChunk,
    SyncRun,
)

RUN_WINDOW = timedelta(days=1)
TASK_WINDOW = timedelta(days=7)
FAILING = (ProductLink.State.FAILING, ProductLink.State.BROKEN, ProductLink.State.UNCERTAIN)
RUN_ERRORS = (SyncRun.Status.DONE_WITH_ERRORS, SyncRun.Status.FAILED)
# Tasks whose first argument is an integration's id; the others name a chunk or a report.
BY_INTEGRATION = {"drain_task", "read_orders_task", "start_full_sync_task"}


def collect(*, now: datetime | None = None) -> int:
    """Record every event not recorded yet; returns how many new alerts there are."""
    now = now or timezone.now()
    found = [*stops(), *run_errors(now), *old_link_failures(now), *old_task_failures(now)]
    known = set(
        Alert.objects.filter(key__in=[key for _i, _k, key, _t in found]).values_list(
            "integration_id", "key"
        )
    )
    new = [
        Alert(integration_id=integration_id, kind=kind, key=key, text=text)
        for integration_id, kind, key, text in found
        if (integration_id, key) not in known
    ]
    Alert.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def prune(*, now: datetime | None = None) -> int:
    """Forget alerts older than INVSYNC_LOG_RETENTION_DAYS that are done with (any status but
    waiting or being sent); a stop or a failure still there then is told again, as a
    reminder."""
    now = now or timezone.now()
    in_hand = (Alert.Status.PENDING, Alert.Status.SENDING)
    limit = now - timedelta(days=settings.INVSYNC_LOG_RETENTION_DAYS)
    old = Alert.objects.filter(created_at__lt=limit).exclude(status__in=in_hand)
    deleted, _per_model = old.delete()
    return deleted


def stops():
    for integration in Integration.objects.filter(halted_at__isnull=False):
        text = _(
            "The sync of %(name)s has stopped: %(reason)s Fix it, then press „Test connection” "
            "on the integration's page: a passing test resumes the sync."
        ) % {"name": integration.name, "reason": integration.last_error}
        yield integration.pk, Alert.Kind.STOP, f"stop:{integration.halted_at.isoformat()}", text


def run_errors(now: datetime):
    finished = SyncRun.objects.filter(status__in=RUN_ERRORS, finished_at__gte=now - RUN_WINDOW)
    for run in finished.select_related("integration"):
        text = _(
            "Run #%(id)d of %(name)s ended: %(status)s; processed %(processed)d of %(total)d, "
            "failed %(failed)d. %(error)s"
        ) % {
            "id": run.pk,
            "name": run.integration.name,
            "status": run.get_status_display(),
            "processed": run.processed,
            "total": run.total,
            "failed": run.failed,
            "error": run.error,
        }
        yield run.integration_id, Alert.Kind.RUN_ERRORS, f"run:{run.pk}", text.strip()


def old_link_failures(now: datetime):
    links = ProductLink.objects.filter(
        state__in=FAILING, dirty_since__lte=now - failure_age()
    ).select_related("product")
    for link in links.only("pk", "integration_id", "dirty_since", "last_error", "product__sku"):
        text = _("Product %(sku)s has been failing since %(since)s: %(error)s") % {
            "sku": link.product.sku,
            "since": timezone.localtime(link.dirty_since).strftime("%Y-%m-%d %H:%M"),
            "error": link.last_error,
        }
        key = f"link:{link.pk}:{int(link.dirty_since.timestamp())}"
        yield link.integration_id, Alert.Kind.OLD_FAILURE, key, text


def old_task_failures(now: datetime):
    """Failed tasks still listed (not retried or dismissed) an hour after they failed."""
    failed = FailedTask.objects.filter(
        failed_at__lte=now - failure_age(),
        failed_at__gte=now - TASK_WINDOW,
    )
    every = None
    for task in failed:
        text = _("Task %(name)s failed at %(at)s and waits in the failed tasks: %(error)s") % {
            "name": (task.task_name or "?").rpartition(".")[2],
            "at": timezone.localtime(task.failed_at).strftime("%Y-%m-%d %H:%M"),
            "error": (task.error or "")[:300],
        }
        owner = integration_of(task)
        if owner is None:  # a task of no one integration: everyone hears of it
            every = (
                every
                if every is not None
                else list(Integration.objects.values_list("pk", flat=True))
            )
        for integration_id in [owner] if owner is not None else every:
            yield integration_id, Alert.Kind.OLD_FAILURE, f"task:{task.task_id}", text


def integration_of(result: FailedTask) -> int | None:
    """The integration a failed task worked for, read from its stored first argument."""
    name = (result.task_name or "").rpartition(".")[2]
    first = first_argument(result.task_args)
    if not isinstance(first, int):
        return None
    if name in BY_INTEGRATION:
        return first
    if name == "sync_chunk_task":
        owner = SyncChunk.objects.filter(pk=first).values_list("run__integration_id", flat=True)
        return owner.first()
    if name == "discrepancy_report_task":
        return StockReport.objects.filter(pk=first).values_list("integration_id", flat=True).first()
    return None


def first_argument(stored: str | None):
    """The first positional argument of stored task args ("[7]" or "(7,)"), or None."""
    text = (stored or "").strip()
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if isinstance(value, str):  # the backend stores repr() of the args as a JSON string
        value = value.strip().strip("()[]").split(",")[0].strip()
        return int(value) if value.isdigit() else None
    if isinstance(value, list) and value and isinstance(value[0], int):
        return value[0]
    return None


def failure_age() -> timedelta:
    return timedelta(minutes=settings.INVSYNC_ALERT_FAILURE_AGE_MINUTES)
