"""Failed tasks (FailedTask: kept until retried or dismissed, or for the retention) with their
errors and the old queue:retry / queue:forget actions; Celery's own task results stay a
technical section for superusers (they expire after a day)."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_celery_results.admin import TaskResultAdmin
from django_celery_results.models import TaskResult

from integrations.admin import views
from integrations.admin.technical import SuperuserOnly
from integrations.models import FailedTask
from integrations.panel import failed_tasks


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    """Read-only rows written by the workers; retry (run_sync permission) or dismiss (delete)."""

    list_display = ("id", "task_name", "error", "failed_at", "worker")
    list_display_links = ("id", "task_name")
    list_filter = ("task_name",)
    search_fields = ("task_id", "task_name", "error")
    date_hierarchy = "failed_at"
    actions = ["retry_selected", "dismiss_selected"]

    def has_add_permission(self, request, *args):
        return False  # rows are written by the workers

    def has_change_permission(self, request, obj=None):
        return False

    def has_run_sync_permission(self, request):
        return views.can_run_sync(request)

    @admin.action(description=gettext_lazy("Retry selected failed tasks"), permissions=["run_sync"])
    def retry_selected(self, request, queryset):
        outcome = failed_tasks.retry_many(queryset.order_by("pk"))
        self.message_user(
            request,
            _("%(count)d tasks were sent again.") % {"count": len(outcome.retried)},
            messages.SUCCESS if outcome.retried else messages.WARNING,
        )
        for row_id, reason in outcome.refused:
            self.message_user(
                request,
                _("Task %(id)s was not sent again: %(reason)s") % {"id": row_id, "reason": reason},
                messages.ERROR,
            )

    @admin.action(description=gettext_lazy("Dismiss selected failed tasks"), permissions=["delete"])
    def dismiss_selected(self, request, queryset):
        count = 0
        for row in queryset:
            failed_tasks.dismiss(row)
            count += 1
        self.message_user(request, _("%(count)d failed tasks dismissed.") % {"count": count})


class TaskResultsAdmin(SuperuserOnly, TaskResultAdmin):
    """Celery's task results as the package shows them: technical, expiring."""

    def has_add_permission(self, request, *args):
        return False  # results are written by the workers


if admin.site.is_registered(TaskResult):
    admin.site.unregister(TaskResult)
admin.site.register(TaskResult, TaskResultsAdmin)
