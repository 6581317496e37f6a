"""Shops, the links between ledger products and shop stock rows, sync runs and their audit."""

from django.conf import settings
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations import encryption
from integrations.alert_models import Alert
from integrations.failure_models import FailedTask
from integrations.order_models import OrderFeed, ShopOrder, ShopOrderState
from integrations.report_models import StockReport
from warehouse.models import Product, Warehouse

__all__ = [
    "Alert",
    "FailedTask",
    "Integration",
    "OrderFeed",
    "ProductLink",
    "ShopOrder",
    "ShopOrderState",
    "StockReport",
    "SyncChunk",
    "SyncLogEntry",
    "SyncRun",
]


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


def email_list(text: str) -> list[str]:
    """The addresses in a field holding them one per line or comma-separated."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def validate_email_list(text: str) -> None:
    for address in email_list(text):
        validate_email(address)


BATCH_START = 50  # rows per multi-row write a new integration starts with


class Integration(models.Model):
    class Kind(models.TextChoices):
        PRESTASHOP = "prestashop", "PrestaShop"

    class Mode(models.TextChoices):
        LOCAL_TO_PRESTA = "local_to_presta", _("ledger to shop")
        PRESTASHOP_TO_LOCAL = "prestashop_to_local", _("shop to ledger")
        DISABLED = "disabled", _("disabled")

    class BatchWrites(models.TextChoices):
        AUTO = "auto", _("automatic (checked with the shop)")
        ON = "on", _("always")
        OFF = "off", _("off (one row per request)")

    class BatchSupport(models.TextChoices):
        UNKNOWN = "unknown", _("not checked yet")
        SUPPORTED = "supported", _("takes several rows per request")
        UNSUPPORTED = "unsupported", _("takes one row per request only")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.PRESTASHOP)
    shop_url = models.URLField(
        _("shop URL"), help_text=_("The shop's address, e.g. https://shop.example/")
    )
    # Ciphertext only (integrations.encryption); the code reads and sets the plain `api_key`.
    encrypted_api_key = models.TextField(_("API key (encrypted)"), blank=True, editable=False)
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
    reserve_orders = models.BooleanField(
        _("reserve stock for shop orders"),
        default=True,
        help_text=_(
            "Read the shop's orders and send it the balance minus the units of open orders. "
            "Off: the bare balance, as before."
        ),
    )
    issue_on_shipped = models.BooleanField(
        _("goods issue when the shop ships"),
        default=False,
        help_text=_(
            "Create and approve the order's WZ as soon as the shop marks it shipped. "
            "Off: one click on the order in the admin."
        ),
    )
    order_warehouse = models.ForeignKey(
        Warehouse,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("warehouse shipping the orders"),
        help_text=_(
            "Where the shop's orders are reserved and issued from. Empty: the first "
            "warehouse feeding the shop."
        ),
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
    batch_writes = models.CharField(
        _("multi-row writes"),
        max_length=4,
        choices=BatchWrites.choices,
        default=BatchWrites.AUTO,
        help_text=_(
            "Several stock rows in one request, where the shop takes it. Automatic: checked "
            "by the connection test and the first sync, and remembered. Always: tried on "
            "every write. Off: one row per request."
        ),
    )
    verify_tls = models.BooleanField(
        _("verify TLS certificate"),
        default=True,
        help_text=_("Turn off only for a test shop with a self-signed certificate."),
    )
    active = models.BooleanField(_("active"), default=True)
    # Who hears of a stop, a run ending with errors and a failure left for an hour
    # (integrations.engine.alerts); INVSYNC_ALERT_EMAILS adds addresses for every integration.
    notify_emails = models.TextField(
        _("notification e-mails"),
        blank=True,
        validators=[validate_email_list],
        help_text=_(
            "Addresses told when the sync stops or fails, one per line or comma-separated."
        ),
    )
    notify_webhook_url = models.URLField(
        _("notification webhook"),
        blank=True,
        help_text=_("An address that receives the same notifications as a JSON POST."),
    )
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
    batch_support = models.CharField(
        _("multi-row writes in the shop"),
        max_length=12,
        choices=BatchSupport.choices,
        default=BatchSupport.UNKNOWN,
        editable=False,
    )
    batch_support_reason = models.TextField(
        _("why the shop takes one row per request"), blank=True, editable=False
    )
    batch_support_checked_at = models.DateTimeField(
        _("multi-row writes checked at"), null=True, blank=True, editable=False
    )
    batch_size = models.PositiveIntegerField(
        _("rows per write request"),
        default=BATCH_START,
        editable=False,
        help_text=_(
            "Adapts by itself: grows while the shop answers quickly, halves after a timeout "
            "or a server error."
        ),
    )
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
    def api_key(self) -> str:
        """The plain key, decrypted on each read; raises encryption.ApiKeyUnreadable."""
        return encryption.decrypt(self.encrypted_api_key)

    @api_key.setter
    def api_key(self, value: str) -> None:
        self.encrypted_api_key = encryption.encrypt(value or "")

    @property
    def readable_api_key(self) -> str:
        """The plain key, or "" if it cannot be decrypted: what messages are scrubbed of.

        No message can hold a key this process could not read, so "" masks nothing missing.
        """
        try:
            return self.api_key
        except encryption.ApiKeyUnreadable:
            return ""

    @property
    def masked_api_key(self) -> str:
        """The key as the admin shows it: its last 4 characters only, or why it cannot."""
        try:
            key = self.api_key
        except encryption.ApiKeyUnreadable:
            return gettext("cannot be decrypted: check INVSYNC_ENCRYPTION_KEYS")
        return f"{'•' * 8}{key[-4:]}" if len(key) > 4 else "•" * len(key)


class ProductLink(models.Model):
    """One ledger product bound to one stock row of one shop, and its outbox mark."""

    class State(models.TextChoices):
        OK = "ok", _("in sync")
        DIRTY = "dirty", _("waiting for sync")
        FAILING = "failing", _("failing")
        BROKEN = "broken", _("broken")
        UNCERTAIN = "uncertain", _("uncertain: to be read again")

    # The back-off doubles from 30 s and reaches its ceiling (an hour) at the 8th failure in a
    # row: from then on the link is retried hourly and shown as needing attention.
    ATTENTION_AFTER_ATTEMPTS = 8

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
    # The holder renews claimed_at while it lives (its lease); INVSYNC_LEASE_TIMEOUT frees it.
    claimed_by = models.CharField(_("claimed by task"), max_length=64, blank=True, db_index=True)
    failed_attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # A write whose answer was lost may still land late, over a newer value: the row is read
    # again at this time (INVSYNC_UNCERTAIN_RECHECK after the lost answer).
    recheck_at = models.DateTimeField(_("read again at"), null=True, blank=True)
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

    @classmethod
    def attention_q(cls) -> Q:
        """Links a human should look at: broken, or failing with the back-off at its ceiling."""
        return Q(state=cls.State.BROKEN) | Q(
            state__in=[cls.State.FAILING, cls.State.UNCERTAIN],
            failed_attempts__gte=cls.ATTENTION_AFTER_ATTEMPTS,
        )

    @property
    def needs_attention(self) -> bool:
        if self.state == self.State.BROKEN:
            return True
        failing = self.state in (self.State.FAILING, self.State.UNCERTAIN)
        return failing and self.failed_attempts >= self.ATTENTION_AFTER_ATTEMPTS


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
