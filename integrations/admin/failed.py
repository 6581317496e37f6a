"""Task results (django-celery-results) with the failures' errors and retry/delete actions;
a technical section, for superusers only (manage.py sync_failed serves the operators)."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_celery_results.admin import TaskResultAdmin
from django_celery_results.models import TaskResult

from integrations.admin import views
from integrations.admin.technical import SuperuserOnly
from integrations.panel import failed_tasks


class FailedTaskResultAdmin(SuperuserOnly, TaskResultAdmin):
    """The package's admin plus the error in the list and the old queue:retry / queue:flush."""

    list_display = ("id", "task_name", "status", "error", "date_done", "worker")
    list_display_links = ("id", "task_name")
    actions = ["retry_selected", "delete_selected"]

    @admin.display(description=gettext_lazy("error"))
    def error(self, obj):
        return failed_tasks.error_summary(obj) if obj.status == "FAILURE" else ""

    def has_add_permission(self, request, *args):
        return False  # results are written by the workers

    def has_run_sync_permission(self, request):
        return views.can_run_sync(request)

    @admin.action(description=gettext_lazy("Retry selected failed tasks"), permissions=["run_sync"])
    def retry_selected(self, request, queryset):
        outcome = failed_tasks.retry_many(queryset.filter(status="FAILURE").order_by("pk"))
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


if admin.site.is_registered(TaskResult):
    admin.site.unregister(TaskResult)
admin.site.register(TaskResult, FailedTaskResultAdmin)
