"""manage.py sync_failed list | retry ID|all | dismiss ID | flush: the old queue:failed,
queue:retry, queue:forget and queue:flush. Failures stay listed until retried or dismissed
(or for INVSYNC_FAILED_TASK_RETENTION_DAYS)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.panel import cli, failed_tasks


class Command(BaseCommand):
    help = "List, retry, dismiss or delete failed tasks."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="list failed tasks with their errors")
        retry = actions.add_parser("retry", help="send failed tasks again")
        retry.add_argument("reference", help='a failed task id (row id or task UUID) or "all"')
        dismiss = actions.add_parser("dismiss", help="forget a failed task without retrying it")
        dismiss.add_argument("reference", help="a failed task id (row id or task UUID)")
        actions.add_parser("flush", help="delete every failed task")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "list":
            self._list()
        elif action == "retry":
            self._retry(options["reference"])
        elif action == "dismiss":
            self._dismiss(options["reference"])
        else:
            deleted = failed_tasks.flush()
            self.stdout.write(_("Deleted %(count)d failed tasks.") % {"count": deleted})

    def _list(self) -> None:
        rows = list(failed_tasks.failures())
        if not rows:
            self.stdout.write(_("No failed tasks."))
            return
        for row in rows:
            # The admin's zone (TIME_ZONE), not UTC, so both show the same time.
            when = timezone.localtime(row.failed_at).strftime("%Y-%m-%d %H:%M:%S")
            self.stdout.write(
                f"{row.pk:>6}  {when}  {row.task_name}  {row.task_args or ''}  "
                f"{failed_tasks.error_summary(row)}"
            )

    def _dismiss(self, reference: str) -> None:
        row = failed_tasks.find_failure(reference)
        if row is None:
            raise CommandError(_("No failed task %(id)s.") % {"id": reference})
        row_id = row.pk
        failed_tasks.dismiss(row)
        self.stdout.write(_("Task %(id)s dismissed.") % {"id": row_id})

    def _retry(self, reference: str) -> None:
        if reference == "all":
            rows = list(failed_tasks.failures().order_by("pk"))
        else:
            row = failed_tasks.find_failure(reference)
            if row is None:
                raise CommandError(_("No failed task %(id)s.") % {"id": reference})
            rows = [row]
        if not rows:
            self.stdout.write(_("No failed tasks."))
            return
        cli.require_broker()
        outcome = failed_tasks.retry_many(rows)
        for row_id, task_id in outcome.retried:
            self.stdout.write(
                _("Task %(id)s sent again as %(task_id)s.") % {"id": row_id, "task_id": task_id}
            )
        if outcome.refused:
            reasons = "; ".join(f"{row_id}: {reason}" for row_id, reason in outcome.refused)
            raise CommandError(_("Not sent again: %(reasons)s") % {"reasons": reasons})
