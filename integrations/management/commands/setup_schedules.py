"""manage.py setup_schedules: create the missing beat entries and show the schedule."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_celery_beat.models import PeriodicTask

from integrations.panel import schedules


class Command(BaseCommand):
    help = (
        "Create the sync schedule in the database if it is missing (the periodic drain every "
        "minute, the nightly full sync at 02:00, one entry per integration) and list it. "
        "Entries that exist are left as the operator edited them."
    )

    def handle(self, *args, **options):
        changes = schedules.ensure_schedules()
        for name in changes.created:
            self.stdout.write(_("Created: %(name)s") % {"name": name})
        for name in changes.removed:
            self.stdout.write(_("Removed (its integration is gone): %(name)s") % {"name": name})
        if not changes.created and not changes.removed:
            self.stdout.write(_("The schedule was complete already."))
        prefix = "Integration inventory sync:"
        for entry in PeriodicTask.objects.filter(name__startswith=prefix).order_by("name"):
            state = (
                pgettext("schedule entry", "enabled")
                if entry.enabled
                else pgettext("schedule entry", "disabled")
            )
            self.stdout.write(f"  {entry}  [{entry.task} {entry.args}] ({state})")
