"""Notifications in the admin: what was told to whom, and deliveries that failed (read-only)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrations.models import Alert
from invsync.badges import badge

STATUS_KINDS = {
    Alert.Status.PENDING: "info",
    Alert.Status.SENDING: "info",
    Alert.Status.SENT: "ok",
    Alert.Status.FAILED: "error",
    Alert.Status.NO_RECIPIENTS: "warning",
}


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("created_at", "integration", "kind", "status_badge", "recipients")
    list_filter = ("status", "kind", "integration")
    list_select_related = ("integration",)
    search_fields = ("text", "recipients")
    fields = (
        "integration",
        "kind",
        "text",
        "status",
        "recipients",
        "attempts",
        "error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return badge(obj.get_status_display(), STATUS_KINDS.get(obj.status, "muted"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
