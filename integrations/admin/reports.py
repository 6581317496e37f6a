"""Discrepancy reports in the admin: a list, and a page per report that shows its progress
while the task runs and its findings (with the fix button) when it is done."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.admin import views
from integrations.admin.records import WorkerRecordAdmin
from integrations.models import Integration, StockReport
from integrations.panel.progress import grouped

STATUS_KINDS = {
    StockReport.Status.QUEUED: "info",
    StockReport.Status.RUNNING: "info",
    StockReport.Status.DONE: "ok",
    StockReport.Status.FAILED: "error",
}


def report_progress(report: StockReport) -> dict:
    """What the report page shows while it runs, and its JSON (the same values)."""
    return {
        "status": report.status,
        "status_label": str(report.get_status_display()),
        "final": not report.is_active,
        "percent": report.percent,
        "checked": grouped(report.checked),
        "total": grouped(report.total),
        "differing": grouped(report.differing),
        "missing": grouped(report.missing),
        "requests": grouped(report.requests),
    }


@admin.register(StockReport)
class StockReportAdmin(WorkerRecordAdmin):
    list_display = ("id", "integration", "status_badge", "progress", "differing", "missing")
    list_display_links = ("id", "integration")
    list_filter = ("status", "integration")
    list_select_related = ("integration",)
    fields = ("integration", "trigger", "triggered_by", "created_at", "started_at", "finished_at")
    readonly_fields = fields
    change_form_template = "admin/integrations/stockreport/change_form.html"
    # Never added here: started by the integration's button or sync_inventory --dry-run.
    status_kinds = STATUS_KINDS

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, obj):
        return f"{grouped(obj.checked)} / {grouped(obj.total)}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if report is not None:
            extra_context["report"] = report
            extra_context["progress"] = report_progress(report)
            extra_context["can_fix"] = (
                views.can_run_sync(request)
                and report.integration.mode == Integration.Mode.LOCAL_TO_PRESTA
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [self.progress_path("integrations_stockreport_progress"), *super().get_urls()]

    def progress_view(self, request, object_id):
        report = self.get_object(request, unquote(object_id))
        if report is None or not self.has_view_or_change_permission(request, report):
            raise Http404(_("No such report."))
        return JsonResponse(report_progress(report))
