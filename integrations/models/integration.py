"""The shop integration: its connection, sync settings, learned limits and stop state, and the
defaults new integrations start with (migrations refer to these callables by path)."""

from django.conf import settings
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations import encryption
from warehouse.models import Warehouse


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
    # The drain running now (its token) and until when its turn holds unless renewed: another
    # drain of this integration waits for it instead of running beside it (engine/drain.py).
    drain_token = models.CharField(_("running drain"), max_length=64, blank=True, editable=False)
    drain_turn_until = models.DateTimeField(
        _("running drain's turn until"), null=True, blank=True, editable=False
    )
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
