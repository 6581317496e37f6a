"""Admin views behind the integration page's buttons and the run page's live progress.

Each takes the ModelAdmin that routes to it (for permissions, object lookup and the admin's
template context) and stays thin: the work is in runs, connection, discrepancies and resync.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from integrations import tasks
from integrations.engine import runs
from integrations.models import Integration, StockReport, SyncChunk, SyncRun
from integrations.panel.progress import grouped, run_progress

RUN_SYNC_PERMISSION = "integrations.run_sync"
CHUNK_FIELDS = (
    "index",
    "status",
    "attempts",
    "processed",
    "changed",
    "failed",
    "requests",
    "batch_size",
    "error",
)
CHUNK_TIMES = ("started_at", "finished_at")
EMPTY = "\u2014"
DISPLAYED_COUNTS = (
    "processed",
    "total",
    "changed",
    "failed",
    "chunks_done",
    "chunks_total",
    "requests",
)


def can_run_sync(request) -> bool:
    """Whether this user may start syncs (the dedicated permission from Integration.Meta)."""
    return request.user.has_perm(RUN_SYNC_PERMISSION)


def integration_url(integration: Integration) -> str:
    return reverse("admin:integrations_integration_change", args=[integration.pk])


def run_url(run: SyncRun) -> str:
    return reverse("admin:integrations_syncrun_change", args=[run.pk])


def _integration(model_admin, request, object_id) -> Integration:
    integration = model_admin.get_object(request, unquote(object_id))
    if integration is None or not model_admin.has_view_or_change_permission(request, integration):
        raise Http404(_("No such integration."))
    return integration


def start_sync(model_admin, request, object_id):
    """POST: start a full sync (or join the one running) and show its run page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    integration = _integration(model_admin, request, object_id)
    if not can_run_sync(request):
        raise PermissionDenied
    running = runs.active_full_run(integration)
    try:
        run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN, user=request.user)
    except runs.SyncRefused as exc:
        messages.error(request, _("The sync was not started: %(reason)s") % {"reason": exc})
        return HttpResponseRedirect(integration_url(integration))
    if running is not None:
        text = _("A sync of this integration is already running.")
        level = messages.WARNING
    else:
        text = _("The sync has been started in the background.")
        level = messages.SUCCESS
    link = _("Run #%(id)s") % {"id": run.pk}
    messages.add_message(
        request, level, format_html('{} <a href="{}">{}</a>', text, run_url(run), link)
    )
    return HttpResponseRedirect(run_url(run))


def connection_test(model_admin, request, object_id):
    """POST: ask the shop what the key may do; say in words what is wrong."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    integration = _integration(model_admin, request, object_id)
    if not model_admin.has_change_permission(request, integration):
        raise PermissionDenied
    check = tasks.check_connection(integration)
    text = " ".join(check.lines)
    if check.ok:
        messages.success(request, _("Connection test passed. %(details)s") % {"details": text})
        if check.resumed:
            messages.info(request, _("The stopped sync of this integration has been resumed."))
    else:
        messages.error(request, _("Connection test failed. %(details)s") % {"details": text})
    return HttpResponseRedirect(integration_url(integration))


def discrepancy_report(model_admin, request, object_id):
    """POST: start the discrepancy report in the background (or join the one going) and show
    its page; GET: the integration's latest report."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    integration = _integration(model_admin, request, object_id)
    if request.method == "GET":
        latest = integration.stock_reports.first()
        if latest is None:
            messages.info(request, _("No discrepancy report has been made yet."))
            return HttpResponseRedirect(integration_url(integration))
        return HttpResponseRedirect(report_url(latest))
    report = tasks.start_discrepancy_report(
        integration, trigger=StockReport.Trigger.ADMIN, user=request.user
    )
    return HttpResponseRedirect(report_url(report))


def report_url(report: StockReport) -> str:
    return reverse("admin:integrations_stockreport_change", args=[report.pk])


def fix_discrepancies(model_admin, request, object_id):
    """POST: sync just the links the report found different (mark dirty, then drain)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    integration = _integration(model_admin, request, object_id)
    if not can_run_sync(request):
        raise PermissionDenied
    wanted = [int(value) for value in request.POST.getlist("link") if value.isdigit()]
    link_ids = list(integration.links.filter(pk__in=wanted).values_list("pk", flat=True))
    outcome = tasks.resync_links(link_ids)
    if outcome.skipped:
        messages.warning(
            request, _("This integration does not send stock to the shop in its current mode.")
        )
    else:
        messages.success(
            request,
            _("%(count)d products were queued for sync; they will reach the shop in a moment.")
            % {"count": outcome.queued},
        )
    return HttpResponseRedirect(integration_url(integration))


def can_cancel(request, run: SyncRun) -> bool:
    """Whether the run page offers its cancel button: an active run not cancelled yet."""
    return run.is_active and run.cancelled_at is None and can_run_sync(request)


def cancel_run(model_admin, request, object_id):
    """POST: cancel the run; its unstarted chunks are dropped, what it wrote stays recorded."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    run = model_admin.get_object(request, unquote(object_id))
    if run is None or not model_admin.has_view_or_change_permission(request, run):
        raise Http404(_("No such run."))
    if not can_run_sync(request):
        raise PermissionDenied
    try:
        outcome = runs.cancel_run(run.pk, user=request.user)
    except runs.SyncRefused as exc:
        messages.warning(request, str(exc))
        return HttpResponseRedirect(run_url(run))
    values = {"id": run.pk, "dropped": outcome.dropped, "stopping": outcome.stopping}
    if outcome.ended:
        text = _("Run #%(id)s was cancelled: %(dropped)d chunks will not run.") % values
    else:
        text = (
            _(
                "Run #%(id)s is being cancelled: %(dropped)d chunks will not run, %(stopping)d "
                "stop before their next write."
            )
            % values
        )
    messages.success(request, text)
    return HttpResponseRedirect(run_url(run))


def run_progress_json(model_admin, request, object_id):
    """GET: the run's progress and its chunks as JSON, polled by its page every 2 seconds."""
    run = model_admin.get_object(request, unquote(object_id))
    if run is None or not model_admin.has_view_or_change_permission(request, run):
        raise Http404(_("No such run."))
    values = {**run_progress(run).as_dict(), **run_details(run)}
    return JsonResponse({**values, "display": display_numbers(values)})


def display_numbers(values: dict) -> dict:
    """The counts as the page shows them ("3 378"), for the script to put in place."""
    return {name: grouped(values[name]) for name in DISPLAYED_COUNTS}


def run_details(run: SyncRun) -> dict:
    """What else changes while a run goes: requests, start time and every chunk's row.

    The run page renders these same values, so the page and its JSON never disagree.
    """
    return {
        "requests": run.requests,
        "batch_size": run.batch_size or EMPTY,
        "started_at": display_time(run.started_at, "DATETIME_FORMAT"),
        "chunks": chunk_rows(run),
    }


def chunk_rows(run: SyncRun) -> list[dict]:
    """The run's chunks in order, as display values (one query, whatever their number)."""
    labels = dict(SyncChunk.Status.choices)
    rows = list(run.chunks.order_by("index").values(*CHUNK_FIELDS, *CHUNK_TIMES))
    for row in rows:
        row["status_label"] = str(labels.get(row["status"], row["status"]))
        row["display"] = {name: grouped(row[name]) for name in ("processed", "changed", "failed")}
        row["batch_size"] = row["batch_size"] or EMPTY
        for name in CHUNK_TIMES:
            row[name] = display_time(row[name], "H:i:s")
    return rows


def display_time(value, format_name: str) -> str:
    """A moment in the user's time zone and language, or a dash when it has not happened."""
    if value is None:
        return EMPTY
    return formats.date_format(timezone.localtime(value), format_name)
