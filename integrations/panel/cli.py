"""What the operator's commands share: choosing integrations, printing reports, following runs.

Domain refusals are raised as CommandError here so every command words them the same way.
"""

import time

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn

from integrations.models import Integration, SyncRun
from integrations.panel.progress import run_progress
from integrations.panel.queues import BrokerUnreachable, check_broker, workers

EXIT_DONE_WITH_ERRORS = 2


def one_integration(pk: int, *, allow_disabled: bool = False) -> Integration:
    """The integration with this id; CommandError if it is missing or cannot sync."""
    integration = Integration.objects.filter(pk=pk).first()
    if integration is None:
        raise CommandError(_("No integration with id %(id)d.") % {"id": pk})
    if not allow_disabled and not integration.active:
        raise CommandError(_("Integration %(name)s is inactive.") % {"name": integration.name})
    if not allow_disabled and integration.mode == Integration.Mode.DISABLED:
        raise CommandError(
            _("Integration %(name)s is disabled (mode: disabled).") % {"name": integration.name}
        )
    return integration


def chosen_integrations(pk: int | None, *, allow_disabled: bool = False) -> list[Integration]:
    """The one asked for, or every active integration whose mode is not disabled."""
    if pk is not None:
        return [one_integration(pk, allow_disabled=allow_disabled)]
    return list(
        Integration.objects.filter(active=True)
        .exclude(mode=Integration.Mode.DISABLED)
        .order_by("pk")
    )


def require_broker() -> None:
    """CommandError unless the broker accepts a connection (a sync needs it to reach workers)."""
    try:
        check_broker()
    except BrokerUnreachable as exc:
        raise CommandError(str(exc)) from exc


def warn_without_workers(err) -> None:
    """Say so when no worker answers: a run then waits in the queue until one starts."""
    report = workers()
    if not report.answered:
        err.write(
            _("No worker answered: the run waits in the queue until a worker starts. %(note)s")
            % {"note": report.note}
        )


def follow_runs(stream, run_ids: list[int], *, poll: float = 1.0, timeout: float = 0) -> list:
    """Show a progress bar per run until every run ends; returns the finished runs."""
    console = Console(file=stream, width=120)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[details]}"),
    )
    deadline = time.monotonic() + timeout if timeout else None
    with Progress(*columns, console=console, auto_refresh=False) as bar:
        tasks = {pk: bar.add_task(_("Run #%(id)d") % {"id": pk}, details="") for pk in run_ids}
        while True:
            finished = _update(bar, tasks)
            if len(finished) == len(tasks):
                return finished
            if deadline is not None and time.monotonic() > deadline:
                raise CommandError(
                    _("The runs did not finish in time; they go on in the background.")
                )
            time.sleep(poll)


def _update(bar, tasks: dict[int, int]) -> list[SyncRun]:
    finished = []
    for run in SyncRun.objects.filter(pk__in=list(tasks)).order_by("pk"):
        progress = run_progress(run)
        details = _("%(status)s, changed %(changed)d, failed %(failed)d") % {
            "status": progress.status_label,
            "changed": progress.changed,
            "failed": progress.failed,
        }
        if progress.eta_label:
            details += " " + _("(%(eta)s left)") % {"eta": progress.eta_label}
        bar.update(tasks[run.pk], total=max(run.total, 1), completed=run.processed, details=details)
        if progress.final:
            if not run.total:
                bar.update(tasks[run.pk], completed=1)
            finished.append(run)
    bar.refresh()
    return finished


def write_outcomes(out, runs: list[SyncRun]) -> None:
    """One line per finished run: status and counts."""
    for run in runs:
        out.write(
            _(
                "Run #%(id)d (%(name)s): %(status)s; processed %(processed)d, changed %(changed)d, "
                "failed %(failed)d."
            )
            % {
                "id": run.pk,
                "name": run.integration.name,
                "status": run.get_status_display(),
                "processed": run.processed,
                "changed": run.changed,
                "failed": run.failed,
            }
        )


def exit_for(runs: list[SyncRun]) -> None:
    """CommandError (exit 1) if a run failed or was cancelled, exit 2 if one finished with
    errors."""
    failed = [run for run in runs if run.status == SyncRun.Status.FAILED]
    cancelled = [run for run in runs if run.status == SyncRun.Status.CANCELLED]
    if cancelled and not failed:
        raise CommandError(
            _("The sync was cancelled: %(runs)s")
            % {"runs": ", ".join(f"#{run.pk}" for run in cancelled)}
        )
    if failed:
        errors = "; ".join(f"#{run.pk}: {run.error}" for run in failed)
        raise CommandError(_("The sync failed: %(errors)s") % {"errors": errors})
    if any(run.status == SyncRun.Status.DONE_WITH_ERRORS for run in runs):
        raise CommandError(
            _("The sync finished with errors: see the failed links in the admin."),
            returncode=EXIT_DONE_WITH_ERRORS,
        )
