"""The discrepancy report as a stored background job: its progress, counts and findings.

Re-exported by integrations.models; the integration is referred to by name so that this module
imports nothing of the app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrations.models.jobs import BackgroundJobMixin


class StockReport(BackgroundJobMixin, models.Model):
    """One discrepancy report (ledger vs shop, read-only), run by a task on the bulk queue."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        ADMIN = "admin", _("admin panel")
        COMMAND = "command", _("command")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    integration = models.ForeignKey(
        "integrations.Integration",
        models.CASCADE,
        related_name="stock_reports",
        verbose_name=_("integration"),
    )
    trigger = models.CharField(_("started from"), max_length=10, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    total = models.PositiveIntegerField(_("products"), default=0)
    checked = models.PositiveIntegerField(_("checked"), default=0)
    differing = models.PositiveIntegerField(_("differing"), default=0)
    missing = models.PositiveIntegerField(_("missing in the shop"), default=0)
    requests = models.PositiveIntegerField(_("requests sent"), default=0)
    # [{"link_id", "sku", "name", "ledger", "shop"}], and the missing ones with their reason.
    rows = models.JSONField(_("differences"), default=list, blank=True)
    missing_rows = models.JSONField(_("missing in the shop"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("discrepancy report")
        verbose_name_plural = _("discrepancy reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A second press of the button joins the report already going.
            models.UniqueConstraint(
                fields=["integration"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_stock_report",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.integration}"

    @property
    def percent(self) -> int:
        if not self.total:
            return 0 if self.is_active else 100
        return min(100, self.checked * 100 // self.total)
