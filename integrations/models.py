"""Shops, the links between ledger products and shop stock rows, sync runs and their audit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from warehouse.models import Product, Warehouse


def _inventory_sync_defaults() -> dict:
    return settings.INTEGRATIONS["prestashop"]["inventory_sync"]


def default_mode() -> str:
    """The mode new integrations start in (settings.INTEGRATIONS, like the old config)."""
    return _inventory_sync_defaults()["mode"]


def default_interval_minutes() -> int:
    """How often new integrations sync by schedule (settings.INTEGRATIONS)."""
    return _inventory_sync_defaults()["interval_minutes"]


def default_chunk_size() -> int:
    return _inventory_sync_defaults()["chunk_size"]


class Integration(models.Model):
    class Kind(models.TextChoices):
        PRESTASHOP = "prestashop", "PrestaShop"

    class Mode(models.TextChoices):
        LOCAL_TO_PRESTA = "local_to_presta", _("ledger to shop")
        PRESTASHOP_TO_LOCAL = "prestashop_to_local", _("shop to ledger")
        DISABLED = "disabled", _("disabled")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.PRESTASHOP)
    shop_url = models.URLField(
        _("shop URL"), help_text=_("The shop's address, e.g. https://shop.example/")
    )
    api_key = models.CharField(_("API key"), max_length=64)
    shop_id = models.PositiveIntegerField(
        _("shop id (multistore)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a single shop."),
    )
    mode = models.CharField(_("mode"), max_length=24, choices=Mode.choices, default=default_mode)
    interval_minutes = models.PositiveIntegerField(
        _("sync every (minutes)"), default=default_interval_minutes
    )
    chunk_size = models.PositiveIntegerField(_("products per chunk"), default=default_chunk_size)
    warehouses = models.ManyToManyField(
        Warehouse,
        blank=True,
        related_name="integrations",
        verbose_name=_("warehouses"),
        help_text=_("Warehouses whose stock feeds the shop; none selected means all."),
    )
    requests_per_minute = models.PositiveIntegerField(_("requests per minute"), default=100)
    max_concurrent_requests = models.PositiveIntegerField(
        _("concurrent requests"),
        null=True,
        blank=True,
        help_text=_(
            "Leave empty for automatic: the value the connection test measured in the shop."
        ),
    )
    measured_concurrency = models.PositiveIntegerField(
        _("measured concurrent requests"), null=True, blank=True, editable=False
    )
    measured_concurrency_at = models.DateTimeField(
        _("concurrency measured at"), null=True, blank=True, editable=False
    )
    # Learned by the rate limiter from the shop's 429 replies; the rate never exceeds it.
    rate_ceiling = models.PositiveIntegerField(
        _("learned rate ceiling (requests per minute)"), null=True, blank=True, editable=False
    )
    rate_ceiling_at = models.DateTimeField(
        _("rate ceiling learned at"), null=True, blank=True, editable=False
    )
    verify_tls = models.BooleanField(
        _("verify TLS certificate"),
        default=True,
        help_text=_("Turn off only for a test shop with a self-signed certificate."),
    )
    active = models.BooleanField(_("active"), default=True)
    shop_version = models.CharField(
        _("PrestaShop version"), max_length=20, blank=True, editable=False
    )
    halted_at = models.DateTimeField(
        _("sync stopped at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Set when the shop refused the key or a permission; "
            "cleared by a successful connection test."
        ),
    )
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    # A drain is already queued to run at this time: later commits before it need no other.
    drain_due_at = models.DateTimeField(_("next drain at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]
        permissions = [("run_sync", _("Can start a stock sync"))]

    def __str__(self):
        return self.name

    @property
    def concurrency_in_force(self) -> int:
        """Concurrent requests the limiter allows: the set value, else the measured one,
        else settings.INVSYNC_RATELIMIT_CONCURRENCY."""
        return (
            self.max_concurrent_requests
            or self.measured_concurrency
            or settings.INVSYNC_RATELIMIT_CONCURRENCY
        )

    @property
    def masked_api_key(self) -> str:
        key = self.api_key or ""
        return f"{'•' * 8}{key[-4:]}" if len(key) > 4 else "•" * len(key)


class ProductLink(models.Model):
    """One ledger product bound to one stock row of one shop, and its outbox mark."""

    class State(models.TextChoices):
        OK = "ok", _("in sync")
        DIRTY = "dirty", _("waiting for sync")
        FAILING = "failing", _("failing")
        BROKEN = "broken", _("broken")

    integration = models.ForeignKey(
        Integration, models.CASCADE, related_name="links", verbose_name=_("integration")
    )
    product = models.ForeignKey(
        Product, models.CASCADE, related_name="shop_links", verbose_name=_("product")
    )
    ps_product_id = models.PositiveIntegerField(_("PrestaShop product id"))
    ps_combination_id = models.PositiveIntegerField(
        _("PrestaShop combination id"),
        default=0,
        help_text=_("0 for a product without combinations."),
    )
    ps_stock_id = models.PositiveIntegerField(_("shop stock row id"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DIRTY, db_index=True
    )
    dirty = models.BooleanField(_("needs sync"), default=True, db_index=True)
    version = models.PositiveBigIntegerField(_("change counter"), default=1)
    dirty_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("in flight since"), null=True, blank=True)
    # The task (its Celery id) holding the claim: a redelivered task takes its own claims back.
    claimed_by = models.CharField(_("claimed by task"), max_length=64, blank=True)
    failed_attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_pushed_quantity = models.IntegerField(_("last quantity sent"), null=True, blank=True)
    last_pushed_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    last_shop_quantity = models.IntegerField(
        _("last quantity read from the shop"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("product link")
        verbose_name_plural = _("product links")
        ordering = ["integration", "product__sku"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "product"], name="link_unique_product"),
            models.UniqueConstraint(
                fields=["integration", "ps_product_id", "ps_combination_id"],
                name="link_unique_shop_row",
            ),
        ]

    def __str__(self):
        suffix = f"/{self.ps_combination_id}" if self.ps_combination_id else ""
        return f"{self.product.sku} → {self.ps_product_id}{suffix}"


class SyncRun(models.Model):
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
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

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
        return f"{self.sku} {self.quantity_before} → {self.quantity_written} ({self.outcome})"
