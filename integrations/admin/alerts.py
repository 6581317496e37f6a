"""Notifications in the admin: what was told to whom, and deliveries that failed (read-only)."""

from django.contrib import admin

from integrations.admin.records import WorkerRecordAdmin
from integrations.models import Alert

STATUS_KINDS = {
    Alert.Status.PENDING: "info",
    Alert.Status.SENDING: "info",
    Alert.Status.SENT: "ok",
    Alert.Status.FAILED: "error",
    Alert.Status.NO_RECIPIENTS: "warning",
    Alert.Status.LOGGED: "warning",
}


@admin.register(Alert)
class AlertAdmin(WorkerRecordAdmin):
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
    status_kinds = STATUS_KINDS
