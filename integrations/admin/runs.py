"""Sync runs in the admin: a list, and a page per run whose progress refreshes itself.

Everything that changes while a run goes (status, counts, requests, start, chunk rows) is
shown once, in the progress panel and the chunk table the page's script updates; the form
keeps only what is fixed for the run, so no stale copy can contradict the live one.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from integrations.admin import views
from integrations.admin.records import WorkerRecordAdmin
from integrations.models import SyncChunk, SyncRun
from integrations.panel.progress import grouped, run_progress

STATUS_KINDS = {
    SyncRun.Status.QUEUED: "info",
    SyncRun.Status.RUNNING: "info",
    SyncRun.Status.DONE: "ok",
    SyncRun.Status.DONE_WITH_ERRORS: "warning",
    SyncRun.Status.FAILED: "error",
}


def chunk_labels() -> dict:
    """The chunk table's column headings: the chunk fields' own (translated) names."""
    names = ("index", *views.CHUNK_FIELDS[1:], *views.CHUNK_TIMES)
    return {name: capfirst(SyncChunk._meta.get_field(name).verbose_name) for name in names}


@admin.register(SyncRun)
class SyncRunAdmin(WorkerRecordAdmin):
    # Fits 1,366 px with the filters; kind, trigger and who started it are on the run's page.
    list_display = (
        "id",
        "integration",
        "status_badge",
        "progress",
        "changed",
        "failed",
        "created_at",
    )
    list_display_links = ("id", "integration")
    list_filter = ("status", "kind", "trigger", "integration")
    list_select_related = ("integration",)
    fields = (
        "integration",
        "kind",
        "trigger",
        "triggered_by",
        "created_at",
        "finished_at",
        "cancelled_at",
        "cancelled_by",
        "log_link",
    )
    readonly_fields = fields
    # Never added here: runs are started by the integration's button or the command.
    status_kinds = STATUS_KINDS

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return f"{grouped(obj.processed)} / {grouped(obj.total)}"

    @admin.display(description=_("sync log"))
    def log_link(self, obj):
        url = reverse("admin:integrations_synclogentry_changelist")
        return format_html('<a href="{}?run__id__exact={}">{}</a>', url, obj.pk, _("Show entries"))

    def has_delete_permission(self, request, obj=None):
        # A run in progress is still counted by its chunk tasks.
        return (obj is None or not obj.is_active) and super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if run is not None:
            extra_context["can_cancel"] = views.can_cancel(request, run)
            extra_context["progress"] = run_progress(run)
            extra_context["details"] = views.run_details(run)
            extra_context["chunk_labels"] = chunk_labels()
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            self.progress_path("integrations_syncrun_progress"),
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="integrations_syncrun_cancel",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, object_id):
        return views.run_progress_json(self, request, object_id)

    def cancel_view(self, request, object_id):
        return views.cancel_run(self, request, object_id)
