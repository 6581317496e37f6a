"""The Celery sections an operator should not meet: superusers only, unused kinds gone.

Periodic tasks stay for the shop's admin (the group with their permissions, see
warehouse/migrations/0004_roles.py), without the schedule kinds invsync never uses (solar
events, clocked one-off times); the schedule tables themselves (intervals, crontabs) and the
task and group results are for superusers.
"""

from django.contrib import admin
from django.utils.translation import pgettext
from django_celery_beat.admin import (
    CrontabScheduleAdmin,
    IntervalScheduleAdmin,
    PeriodicTaskAdmin,
)
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_celery_results.admin import GroupResultAdmin
from django_celery_results.models import GroupResult

from invsync.badges import badge

UNUSED_SCHEDULE_FIELDS = {"solar", "clocked"}


class SuperuserOnly:
    """A section only superusers see and open, whatever a group's permissions say."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


class ScheduleAdmin(PeriodicTaskAdmin):
    """Periodic tasks with only the schedule kinds invsync uses (interval, crontab)."""

    list_display = ("name", "enabled_badge", "scheduler", "last_run_at")
    fieldsets = tuple(
        (
            title,
            {
                **options,
                "fields": tuple(f for f in options["fields"] if f not in UNUSED_SCHEDULE_FIELDS),
            },
        )
        for title, options in PeriodicTaskAdmin.fieldsets
    )

    @admin.display(
        description=PeriodicTask._meta.get_field("enabled").verbose_name, ordering="enabled"
    )
    def enabled_badge(self, obj):
        if obj.enabled:
            return badge(pgettext("schedule state", "on"), "ok")
        return badge(pgettext("schedule state", "off"), "muted")


class IntervalAdmin(SuperuserOnly, IntervalScheduleAdmin):
    pass


class CrontabAdmin(SuperuserOnly, CrontabScheduleAdmin):
    pass


class GroupResultsAdmin(SuperuserOnly, GroupResultAdmin):
    def has_add_permission(self, request, *args):
        return False  # results are written by the workers


def register() -> None:
    """Replace the packages' registrations (called once, when the admin modules load)."""
    replaced = (PeriodicTask, IntervalSchedule, CrontabSchedule, GroupResult)
    for model in (*replaced, SolarSchedule, ClockedSchedule):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
    admin.site.register(PeriodicTask, ScheduleAdmin)
    admin.site.register(IntervalSchedule, IntervalAdmin)
    admin.site.register(CrontabSchedule, CrontabAdmin)
    admin.site.register(GroupResult, GroupResultsAdmin)


register()
