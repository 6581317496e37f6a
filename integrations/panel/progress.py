"""A sync run's progress as plain numbers, shared by the run page, its JSON and the command."""

from dataclasses import asdict, dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from integrations.engine import estimates
from integrations.models import SyncRun


@dataclass(frozen=True)
class Progress:
    run_id: int
    status: str
    status_label: str
    final: bool
    total: int
    processed: int
    changed: int
    failed: int
    chunks_total: int
    chunks_done: int
    percent: int
    rate: float | None  # products per second so far
    rate_label: str
    eta_seconds: float | None
    eta_label: str
    error: str

    def as_dict(self) -> dict:
        return asdict(self)


def run_progress(run: SyncRun) -> Progress:
    """Where this run is now: counts, percentage, speed and time left."""
    percent = 100 if not run.total and not run.is_active else 0
    if run.total:
        percent = min(100, run.processed * 100 // run.total)
    eta = estimates.eta_seconds(run)
    rate = measured_rate(run)
    return Progress(
        run_id=run.pk,
        status=run.status,
        status_label=str(_("cancelling") if run.is_cancelling else run.get_status_display()),
        final=not run.is_active,
        total=run.total,
        processed=run.processed,
        changed=run.changed,
        failed=run.failed,
        chunks_total=run.chunks_total,
        chunks_done=run.chunks_done,
        percent=percent,
        rate=rate,
        rate_label=describe_rate(rate),
        eta_seconds=eta,
        eta_label=format_duration(eta) if eta is not None else "",
        error=run.error,
    )


def describe_rate(rate: float | None) -> str:
    """ "3 378,4 produktów/s" in the user's number format; empty before any product."""
    if rate is None:
        return ""
    return _("%(rate)s products/s") % {"rate": formats.number_format(rate, 1, force_grouping=True)}


def grouped(number: int) -> str:
    """A count as the user's language writes it, thousands grouped ("3 378")."""
    return formats.number_format(number, force_grouping=True)


def measured_rate(run: SyncRun) -> float | None:
    """Products per second since the run started (up to its end when finished)."""
    if not run.started_at or not run.processed:
        return None
    end = run.finished_at or timezone.now()
    seconds = max((end - run.started_at).total_seconds(), 0.001)
    return round(run.processed / seconds, 1)


def format_duration(seconds: float) -> str:
    """A short human duration: "45 s", "3 min", "2 h 05 min"."""
    seconds = max(round(seconds), 0)
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    minutes = (seconds + 59) // 60
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def describe_estimate(estimate: estimates.Estimate) -> str:
    """One sentence: products, chunk jobs and the expected time, with where it comes from."""
    source = (
        _("measured on recent runs")
        if estimate.from_history
        else _("no finished run yet: a cautious guess from the request limit")
    )
    return _(
        "Products to sync: %(products)d, chunk jobs: %(chunks)d, estimated time: "
        "about %(duration)s (%(source)s)."
    ) % {
        "products": estimate.products,
        "chunks": estimate.chunks,
        "duration": format_duration(estimate.seconds),
        "source": source,
    }
