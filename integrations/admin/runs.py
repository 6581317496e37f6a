"""Sync runs in the admin: a list, and a page per run whose progress refreshes itself."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from integrations import views
from integrations.models import SyncChunk, SyncRun
from integrations.progress import run_progress


class SyncChunkInline(admin.TabularInline):
    model = SyncChunk
    fields = (
        "index",
        "status",
        "attempts",
        "processed",
        "changed",
        "failed",
        "error",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "integration",
        "kind",
        "trigger",
        "status",
        "progress",
        "changed",
        "failed",
        "dry_run",
        "created_at",
        "finished_at",
    )
    list_display_links = ("id", "integration")
    list_filter = ("status", "kind", "trigger", "dry_run", "integration")
    list_select_related = ("integration",)
    fields = (
        "integration",
        "kind",
        "trigger",
        "triggered_by",
        "status",
        "dry_run",
        "total",
        "processed",
        "changed",
        "failed",
        "chunks_total",
        "chunks_done",
        "requests",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "log_link",
    )
    readonly_fields = fields
    inlines = [SyncChunkInline]

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return f"{obj.processed} / {obj.total}"

    @admin.display(description=_("sync log"))
    def log_link(self, obj):
        url = reverse("admin:integrations_synclogentry_changelist")
        return format_html('<a href="{}?run__id__exact={}">{}</a>', url, obj.pk, _("Show entries"))

    def has_add_permission(self, request):
        return False  # runs are started by the integration's button or the command

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A run in progress is still counted by its chunk tasks.
        return (obj is None or not obj.is_active) and super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if run is not None:
            extra_context["progress"] = run_progress(run)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="integrations_syncrun_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, object_id):
        return views.run_progress_json(self, request, object_id)
