"""What the admin pages of records the workers write (runs, reports, alerts) have in common."""

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from invsync.badges import badge


class WorkerRecordAdmin(admin.ModelAdmin):
    """Read-only: the rows are written by the workers; the status shown as a coloured badge."""

    status_kinds: dict = {}  # status -> badge kind; any other status is "muted"

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return badge(obj.get_status_display(), self.status_kinds.get(obj.status, "muted"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def progress_path(self, name: str):
        """The URL of the page's progress JSON (served by ``self.progress_view``)."""
        return path(
            "<path:object_id>/progress/",
            self.admin_site.admin_view(self.progress_view),
            name=name,
        )
