"""manage.py queue_status: the old ``queue:status``: waiting tasks, workers, changes, runs."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from integrations.engine import pacing
from integrations.models import Integration, SyncRun
from integrations.panel import failed_tasks, queues
from integrations.panel.progress import run_progress


class Command(BaseCommand):
    help = (
        "Show the tasks waiting in each queue, the workers and what they run, the changes "
        "waiting per integration and the runs in progress. Exits 1 if the broker is unreachable."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout",
            type=float,
            default=queues.INSPECT_TIMEOUT,
            help="seconds to wait for workers",
        )

    def handle(self, *args, **options):
        try:
            queues.check_broker()
        except queues.BrokerUnreachable as exc:
            self._write_database_state()
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("Broker: %(broker)s (reachable)") % {"broker": queues.broker_name()})
        self._write_queues()
        self._write_workers(options["timeout"])
        self._write_database_state()

    def _write_queues(self) -> None:
        self.stdout.write(_("Tasks waiting per queue:"))
        for name, count in queues.waiting_messages().items():
            shown = _("unknown") if count is None else count
            role = queues.queue_role(name)
            self.stdout.write(f"  {name}: {shown}" + (f" ({role})" if role else ""))

    def _write_workers(self, timeout: float) -> None:
        report = queues.workers(timeout=timeout)
        if not report.answered:
            self.stdout.write(
                _("Workers: none answered within %(seconds)s s.") % {"seconds": timeout}
            )
        else:
            self.stdout.write(_("Workers:"))
        for name, running in report.workers.items():
            tasks = ", ".join(running) if running else _("idle")
            consumed = ", ".join(report.queues.get(name, [])) or "?"
            self.stdout.write(f"  {name}: {tasks}; " + _("queues: %(names)s") % {"names": consumed})
        if report.answered:
            for name in report.unserved():
                self.stdout.write(
                    "  "
                    + _("No worker consumes the queue %(name)s: its tasks wait until one does.")
                    % {"name": name}
                )
        if report.note:
            self.stdout.write(f"  {report.note}")

    def _write_database_state(self) -> None:
        self.stdout.write(_("Changes waiting per integration:"))
        counts = Integration.objects.order_by("pk").annotate(
            waiting=Count("links", filter=Q(links__dirty=True)),
            failing=Count("links", filter=Q(links__state="failing")),
            broken=Count("links", filter=Q(links__state="broken")),
        )
        for integration in counts:
            self._write_integration(integration)
        self._write_runs()
        self.stdout.write(
            _("Failed tasks: %(count)d (see sync_failed list)")
            % {"count": failed_tasks.failures().count()}
        )

    def _write_integration(self, integration) -> None:
        self.stdout.write(
            "  "
            + _("%(name)s: %(waiting)d waiting, %(failing)d failing, %(broken)d broken")
            % {
                "name": integration.name,
                "waiting": integration.waiting,
                "failing": integration.failing,
                "broken": integration.broken,
            }
        )
        if integration.halted_at is not None:
            # Nothing of this integration reaches the shop until someone fixes the key.
            self.stdout.write(
                "    "
                + _("stopped by the shop: %(reason)s") % {"reason": integration.last_error or "?"}
            )

    def _write_runs(self) -> None:
        active = SyncRun.objects.filter(status__in=SyncRun.ACTIVE).select_related("integration")
        if not active:
            self.stdout.write(_("Runs in progress: none"))
            return
        self.stdout.write(_("Runs in progress:"))
        for run in active.order_by("pk"):
            progress = run_progress(run)
            self.stdout.write(
                "  "
                + _(
                    "#%(id)d %(name)s (%(kind)s, %(status)s): %(processed)d of %(total)d, "
                    "changed %(changed)d, failed %(failed)d"
                )
                % {
                    "id": run.pk,
                    "name": run.integration.name,
                    "kind": run.get_kind_display(),
                    "status": progress.status_label,
                    "processed": run.processed,
                    "total": run.total,
                    "changed": run.changed,
                    "failed": run.failed,
                }
                + (
                    " " + _("(%(eta)s left)") % {"eta": progress.eta_label}
                    if progress.eta_label
                    else ""
                )
            )
            self.stdout.write(
                "    "
                + _("chunks: %(done)d of %(total)d done, %(in_flight)d sent to the queue")
                % {
                    "done": run.chunks_done,
                    "total": run.chunks_total,
                    "in_flight": pacing.in_flight(run.pk),
                }
            )
