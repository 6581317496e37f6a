"""manage.py sync_inventory: the old ``integrations:sync-inventory``, with estimate, report, wait.

Exit codes: 0 started (or, with --wait, every run done; with --cancel, the runs cancelled);
1 (CommandError) a missing, inactive, disabled or stopped integration, an unreachable broker,
or a run that failed or was cancelled, or (--dry-run) a report whose shop could not be read;
2 a run that finished with errors (some links failed, the rest were synced).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from integrations import tasks
from integrations.engine import estimates, runs
from integrations.models import StockReport, SyncRun
from integrations.panel import cli, report_cli
from integrations.panel.progress import describe_estimate


class Command(BaseCommand):
    help = (
        "Start a full stock sync of every active integration (or of --integration ID). "
        "--estimate and --dry-run only report; --wait follows the runs with a progress bar; "
        "--cancel stops the running ones."
    )

    def add_arguments(self, parser):
        parser.add_argument("--integration", type=int, help="integration id (default: all active)")
        parser.add_argument(
            "--estimate", action="store_true", help="print products, jobs and expected time"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=(
                "make the discrepancy report (ledger vs shop) in the background, wait for it "
                "and print it; writes nothing"
            ),
        )
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="with --dry-run: start the reports and return; they are shown in the admin",
        )
        parser.add_argument(
            "--wait", action="store_true", help="follow the runs until they end (needs workers)"
        )
        parser.add_argument(
            "--cancel",
            action="store_true",
            help="cancel the running full sync (of --integration ID, or every one running)",
        )
        parser.add_argument(
            "--poll-interval", type=float, default=1.0, help="seconds between progress reads"
        )
        parser.add_argument(
            "--timeout", type=float, default=0, help="give up waiting after this many seconds"
        )

    def handle(self, *args, **options):
        if options["cancel"]:
            self._cancel(options["integration"])
            return
        integrations = cli.chosen_integrations(
            options["integration"], allow_disabled=options["estimate"]
        )
        if not integrations:
            self.stdout.write(self.style.WARNING(_("No active integration to sync.")))
            return
        if options["estimate"]:
            for integration in integrations:
                estimate = describe_estimate(estimates.estimate(integration))
                self.stdout.write(f"{integration.name}: {estimate}")
            return
        if options["dry_run"]:
            self._report(integrations, options)
            return
        cli.require_broker()
        started, refused = self._start(integrations)
        finished = []
        if options["wait"] and started:
            cli.warn_without_workers(self.stderr)
            finished = cli.follow_runs(
                self.stdout._out,
                [run.pk for run in started],
                poll=options["poll_interval"],
                timeout=options["timeout"],
            )
            cli.write_outcomes(self.stdout, finished)
        if refused:
            raise CommandError(_("Not started: %(reasons)s") % {"reasons": " ".join(refused)})
        cli.exit_for(finished)

    def _cancel(self, integration_id: int | None) -> None:
        running = SyncRun.objects.filter(
            status__in=SyncRun.ACTIVE, kind__in=SyncRun.FULL_KINDS
        ).select_related("integration")
        if integration_id is not None:
            running = running.filter(
                integration=cli.one_integration(integration_id, allow_disabled=True)
            )
        if not running:
            self.stdout.write(_("No full sync is running."))
            return
        for run in running.order_by("pk"):
            outcome = runs.cancel_run(run.pk)
            values = {"name": run.integration.name, "id": run.pk, "dropped": outcome.dropped}
            if outcome.ended:
                line = _("%(name)s: run #%(id)d cancelled, %(dropped)d chunks will not run.")
            else:
                values["stopping"] = outcome.stopping
                line = _(
                    "%(name)s: run #%(id)d is being cancelled, %(dropped)d chunks will not run, "
                    "%(stopping)d stop before their next write."
                )
            self.stdout.write(line % values)

    def _report(self, integrations, options) -> None:
        cli.require_broker()
        started = [
            tasks.start_discrepancy_report(integration, trigger=StockReport.Trigger.COMMAND)
            for integration in integrations
        ]
        for report in started:
            self.stdout.write(
                _("%(name)s: discrepancy report #%(id)d started in the background.")
                % {"name": report.integration.name, "id": report.pk}
            )
        if options["no_wait"]:
            return
        cli.warn_without_workers(self.stderr)
        finished = report_cli.follow_reports(
            self.stderr,
            [report.pk for report in started],
            poll=options["poll_interval"],
            timeout=options["timeout"],
        )
        failed = [report for report in finished if report.status == StockReport.Status.FAILED]
        for report in finished:
            if report.status == StockReport.Status.DONE:
                report_cli.write_report(self.stdout, report)
        if failed:
            raise CommandError(
                " ".join(
                    _("%(name)s: the shop could not be read. %(reason)s")
                    % {"name": report.integration.name, "reason": report.error}
                    for report in failed
                )
            )

    def _start(self, integrations) -> tuple[list[SyncRun], list[str]]:
        started, refused = [], []
        for integration in integrations:
            running = runs.active_full_run(integration)
            try:
                run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.COMMAND)
            except runs.SyncRefused as exc:
                refused.append(f"{integration.name}: {exc}")
                continue
            started.append(run)
            template = (
                _("%(name)s: a sync is already running, run #%(id)d (%(total)d products).")
                if running is not None
                else _(
                    "%(name)s: sync started in the background, run #%(id)d "
                    "(%(total)d products in %(chunks)d chunks)."
                )
            )
            self.stdout.write(
                template
                % {
                    "name": integration.name,
                    "id": run.pk,
                    "total": run.total,
                    "chunks": run.chunks_total,
                }
            )
        return started, refused
