"""The discrepancy report as a background job: a StockReport row the task fills as it goes.

start_report() creates the row (or returns the one already going); the caller enqueues
run_report() (tasks.start_discrepancy_report). run_report() is idempotent: a redelivered task
starts the comparison again from the first link and overwrites what the row holds.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.engine.discrepancies import DiscrepancyReport, find_discrepancies
from integrations.models import Integration, StockReport
from integrations.prestashop import PrestaShopError


def active_report(integration: Integration) -> StockReport | None:
    """The report queued or running for this integration, if any."""
    return StockReport.objects.filter(
        integration=integration, status__in=StockReport.ACTIVE
    ).first()


def start_report(integration: Integration, *, trigger: str, user=None) -> tuple[StockReport, bool]:
    """(the report, whether it is new): a report already going is joined, not doubled."""
    close_lost_reports(integration)
    running = active_report(integration)
    if running is not None:
        return running, False
    try:
        with transaction.atomic():
            report = StockReport.objects.create(
                integration=integration,
                trigger=trigger,
                triggered_by=user if user and user.is_authenticated else None,
                total=integration.links.count(),
            )
    except IntegrityError:  # another request created one meanwhile
        return active_report(integration), False
    return report, True


def close_lost_reports(integration: Integration) -> int:
    """Fail reports older than the task time limit that never ended (their task is gone)."""
    limit = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return StockReport.objects.filter(
        integration=integration, status__in=StockReport.ACTIVE, created_at__lt=limit
    ).update(
        status=StockReport.Status.FAILED,
        error=_("The report's task was lost (its worker stopped); start the report again."),
        finished_at=timezone.now(),
    )


def run_report(report_id: int) -> StockReport:
    """Compare the ledger with the shop, recording progress per chunk; never writes the shop."""
    report = StockReport.objects.select_related("integration").get(pk=report_id)
    if not report.is_active:
        return report  # a late duplicate of a finished report
    integration = report.integration
    StockReport.objects.filter(pk=report_id).update(
        status=StockReport.Status.RUNNING,
        started_at=timezone.now(),
        total=integration.links.count(),
        checked=0,
    )
    try:
        found = find_discrepancies(integration, on_chunk=_progress_recorder(report_id))
    except PrestaShopError as error:  # already in the operator's words (described)
        _finish(report_id, status=StockReport.Status.FAILED, error=str(error))
    else:
        _finish(report_id, status=StockReport.Status.DONE, **findings(found))
    return StockReport.objects.get(pk=report_id)


def _progress_recorder(report_id: int):
    def record(found: DiscrepancyReport) -> None:
        StockReport.objects.filter(pk=report_id).update(
            checked=found.checked,
            requests=found.requests,
            differing=len(found.rows),
            missing=len(found.missing),
        )

    return record


def findings(found: DiscrepancyReport) -> dict:
    """The report's counts and rows as the StockReport stores them."""
    return {
        "checked": found.checked,
        "requests": found.requests,
        "differing": len(found.rows),
        "missing": len(found.missing),
        "rows": [
            {
                "link_id": r.link_id,
                "sku": r.sku,
                "name": r.name,
                "ledger": r.ledger,
                "shop": r.shop,
                "difference": r.difference,
            }
            for r in found.rows
        ],
        "missing_rows": [
            {
                "link_id": m.link_id,
                "sku": m.sku,
                "name": m.name,
                "ps_product_id": m.ps_product_id,
                "ps_combination_id": m.ps_combination_id,
                "reason": m.reason,
            }
            for m in found.missing
        ],
    }


def fail_unsent(report_id: int, reason: str) -> None:
    """The report's task could not be queued: the report ends failed, saying why."""
    text = _("The report could not be queued (the broker failed: %(reason)s).") % {"reason": reason}
    _finish(report_id, status=StockReport.Status.FAILED, error=text)


def _finish(report_id: int, *, status: str, **values) -> None:
    StockReport.objects.filter(pk=report_id).update(
        status=status, finished_at=timezone.now(), **values
    )
