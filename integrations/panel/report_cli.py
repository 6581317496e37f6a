"""The discrepancy report in a terminal: follow the background reports, print what they found."""

import time

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from integrations.models import StockReport


def follow_reports(err, report_ids: list[int], *, poll: float = 1.0, timeout: float = 0):
    """Wait until every report ends, saying on `err` how far each is; returns them in order."""
    deadline = time.monotonic() + timeout if timeout else None
    shown = {}
    while True:
        reports = list(StockReport.objects.filter(pk__in=report_ids).order_by("pk"))
        for report in reports:
            line = _("Report #%(id)d: %(status)s, checked %(checked)d of %(total)d.") % {
                "id": report.pk,
                "status": report.get_status_display(),
                "checked": report.checked,
                "total": report.total,
            }
            if shown.get(report.pk) != line:
                err.write(line)
                shown[report.pk] = line
        if all(not report.is_active for report in reports):
            return reports
        if deadline is not None and time.monotonic() > deadline:
            raise CommandError(
                _("The reports did not finish in time; they go on in the background.")
            )
        time.sleep(poll)


def write_report(out, report: StockReport) -> None:
    """The report as plain columns: SKU, name, ledger, shop, difference; then missing rows."""
    values = {
        "name": report.integration.name,
        "checked": report.checked,
        "requests": report.requests,
        "differing": report.differing,
        "missing": report.missing,
    }
    out.write(
        _(
            "%(name)s: checked %(checked)d products (%(requests)d requests), %(differing)d differ, "
            "%(missing)d missing in the shop. Nothing was written."
        )
        % values
    )
    if report.rows:
        header = (_("SKU"), _("name"), _("ledger"), _("shop"), _("difference"))
        out.write("{:<20} {:<40} {:>8} {:>8} {:>10}".format(*header))
        for row in report.rows:
            out.write(
                f"{row['sku']:<20} {row['name'][:40]:<40} {row['ledger']:>8} {row['shop']:>8} "
                f"{row['difference']:>+10}"
            )
    if report.missing_rows:
        out.write(_("Missing in the shop:"))
        for row in report.missing_rows:
            out.write(
                f"{row['sku']:<20} {row['name'][:40]:<40} "
                f"{row['ps_product_id']}/{row['ps_combination_id']} {row['reason']}"
            )
