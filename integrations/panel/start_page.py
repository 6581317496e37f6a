"""The start page's context: shop tiles with their actions, and the activity charts.

The admin site (invsync.admin_site) renders it above the sections; it needs nothing of the
integrations' admin classes, so the site can load before they register.
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats, timezone

from integrations.panel import activity
from integrations.panel.charts import bar_chart
from integrations.panel.dashboard import shop_tiles
from warehouse.selectors import overbooked_reservations

VIEW_PERMISSION = "integrations.view_integration"
SYNC_PERMISSION = "integrations.run_sync"
CHANGE_PERMISSION = "integrations.change_integration"
# Seconds between reloads of the start page while a full sync runs.
REFRESH_SECONDS = 10
RESERVATIONS_PERMISSION = "warehouse.view_reservation"
OVERBOOKED_SHOWN = 10  # products named in the warning; the rest are counted
COLOURS = {
    "written": "#2e7d32",
    "differences": "#ef6c00",
    "failures": "#c62828",
    "requests": "#1565c0",
}


def dashboard_context(request) -> dict:
    """What admin/index.html shows above the sections; nothing for users who see no shop."""
    if not request.user.has_perm(VIEW_PERMISSION):
        return {}
    tiles = shop_tiles()
    return {
        "dashboard": True,
        "tiles": [tile_context(request, tile) for tile in tiles],
        "charts": [chart_row(activity.last_day()), chart_row(activity.last_month())],
        "refresh_seconds": REFRESH_SECONDS if any(t.active_run for t in tiles) else None,
        "overbooked": overbooked_context(request),
    }


def overbooked_context(request) -> dict | None:
    """Products whose open reservations exceed their balance (reported, never refused: a shop
    can sell before the ledger knows), as check_ledger reports them; None when there are none."""
    found = overbooked_reservations()
    if not found:
        return None
    may_view = request.user.has_perm(RESERVATIONS_PERMISSION)
    changelist = reverse("admin:warehouse_reservation_changelist") if may_view else ""
    return {
        "rows": [
            {
                "found": row,
                "url": changelist
                and changelist + "?" + urlencode({"status__exact": "open", "q": row.sku}),
            }
            for row in found[:OVERBOOKED_SHOWN]
        ],
        "more": max(0, len(found) - OVERBOOKED_SHOWN),
    }


def tile_context(request, tile) -> dict:
    """A tile with the URLs and the buttons this user may press."""
    pk = tile.integration.pk
    return {
        "tile": tile,
        "change_url": reverse("admin:integrations_integration_change", args=[pk]),
        "sync_url": reverse("admin:integrations_integration_sync", args=[pk]),
        "test_url": reverse("admin:integrations_integration_test_connection", args=[pk]),
        "report_url": reverse("admin:integrations_integration_discrepancies", args=[pk]),
        "last_run_url": run_url(tile.last_run),
        "active_run_url": run_url(tile.active_run),
        "can_sync": request.user.has_perm(SYNC_PERMISSION),
        "can_test": request.user.has_perm(CHANGE_PERMISSION),
    }


def run_url(run) -> str:
    return reverse("admin:integrations_syncrun_change", args=[run.pk]) if run else ""


def chart_row(window: activity.Window) -> dict:
    """One chart per series over the window, with each bar's period as its label."""
    hourly = window.name == "day"
    labels = [bucket_label(start, hourly=hourly) for start in window.starts]
    return {
        "name": window.name,
        "charts": [
            {
                "key": key,
                "title": title,
                "total": sum(window.series[key]),
                "svg": bar_chart(window.series[key], labels, title=str(title), colour=COLOURS[key]),
            }
            for key, title in activity.SERIES
        ],
    }


def bucket_label(start, *, hourly: bool) -> str:
    """ "14:00" for an hour, "29.11" for a day, in the user's time zone and format."""
    local = timezone.localtime(start)
    return formats.date_format(local, "H:i" if hourly else "d.m")
