"""Sync runs, the chunk tasks they are split into, and the audit of every write to the shop."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrations.models.integration import Integration
from integrations.models.jobs import BackgroundJobMixin
from integrations.models.links import ProductLink


class SyncRun(BackgroundJobMixin, models.Model):
    class Kind(models.TextChoices):
        FULL = "full", _("full")
        SCHEDULED = "scheduled", _("scheduled")

    class Trigger(models.TextChoices):
        ADMIN = "admin", _("admin panel")
        COMMAND = "command", _("command")
        SCHEDULE = "schedule", _("schedule")
        DEMO = "demo", _("demo")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        DONE_WITH_ERRORS = "done_with_errors", _("done with errors")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FULL_KINDS = (Kind.FULL, Kind.SCHEDULED)

    integration = models.ForeignKey(
        Integration, models.CASCADE, related_name="runs", verbose_name=_("integration")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
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
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    total = models.PositiveIntegerField(_("products"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    failed = models.PositiveIntegerField(_("failed products"), default=0)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    requests = models.PositiveIntegerField(_("requests sent"), default=0)
    # The multi-row write size in force when the last chunk that wrote in batches ended.
    batch_size = models.PositiveIntegerField(_("rows per write request"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Set by a cancel request: no chunk starts after it; the run ends once running ones stop.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one full sync per integration at a time, whoever asks for it.
            models.UniqueConstraint(
                fields=["integration"],
                condition=Q(status__in=["queued", "running"], kind__in=["full", "scheduled"]),
                name="one_active_full_run",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.integration} ({self.get_kind_display()})"

    @property
    def is_cancelling(self) -> bool:
        """Cancelled, with a chunk still finishing its current write."""
        return self.is_active and self.cancelled_at is not None


class SyncChunk(models.Model):
    """One chunk task of a run: which links it covers and how it ended."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    OPEN = (Status.QUEUED, Status.RUNNING)

    run = models.ForeignKey(SyncRun, models.CASCADE, related_name="chunks", verbose_name=_("run"))
    index = models.PositiveIntegerField(_("number"))
    link_ids = models.JSONField(_("links"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    failed = models.PositiveIntegerField(_("failed products"), default=0)
    # Counted as they are sent, over every attempt (retried, redelivered, sent again).
    requests = models.PositiveIntegerField(_("requests sent"), default=0)
    # Links an attempt finished with (in sync, written, or failed for the drain to retry):
    # the next attempt takes only the others.
    done_link_ids = models.JSONField(_("links done"), default=list, blank=True)
    # A running attempt pushes this forward as it renews its lease; a chunk whose lease expired
    # lost its worker and is sent again with a new task id.
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    requeues = models.PositiveIntegerField(_("sent again after a lost worker"), default=0)
    # A queued chunk with a task id was sent: its message is due at this time (when it was
    # sent, or when its retry's countdown ends). Long past, with nothing in its run moving,
    # the message was lost (a broker restarted without persistence) and the chunk is sent again.
    due_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # None: the chunk wrote nothing in batches (nothing differed, or one row per request).
    batch_size = models.PositiveIntegerField(_("rows per write request"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sync chunk")
        verbose_name_plural = _("sync chunks")
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="chunk_unique_index"),
        ]

    def __str__(self):
        return f"{self.run_id}/{self.index}"

    def remaining_link_ids(self) -> list[int]:
        """The chunk's links no attempt has finished with yet, in order."""
        done = set(self.done_link_ids)
        return [pk for pk in self.link_ids if pk not in done]


class SyncLogEntry(models.Model):
    """Audit of one write to the shop (or one failed attempt); pruned by age."""

    class Outcome(models.TextChoices):
        WRITTEN = "written", _("written")
        NOT_APPLIED = "not_applied", _("accepted but not applied")
        FAILED = "failed", _("failed")
        BOOKED = "booked", _("booked in the ledger")

    integration = models.ForeignKey(
        Integration, models.CASCADE, related_name="log_entries", verbose_name=_("integration")
    )
    link = models.ForeignKey(
        ProductLink,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="log_entries",
        verbose_name=_("product link"),
    )
    run = models.ForeignKey(
        SyncRun,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="log_entries",
        verbose_name=_("run"),
    )
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    quantity_before = models.IntegerField(_("shop quantity before"), null=True, blank=True)
    quantity_written = models.IntegerField(_("quantity written"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=255, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("sync log entry")
        verbose_name_plural = _("sync log")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        outcome = self.get_outcome_display()  # in the page's language, as the rest of it
        return f"{self.sku} {self.quantity_before} → {self.quantity_written} ({outcome})"
