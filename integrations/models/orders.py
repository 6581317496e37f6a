"""The shop's orders as the integrations see them: the read cursor, the order states and
their roles, and each order with the reservation it holds in the ledger.

Re-exported by integrations.models (the package); the integration is referred to by
name here so that this module imports nothing of the app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from warehouse.models import Reservation


class OrderFeed(models.Model):
    """How far the integration has read the shop's orders (one row per integration)."""

    integration = models.OneToOneField(
        "integrations.Integration",
        models.CASCADE,
        related_name="order_feed",
        verbose_name=_("integration"),
    )
    cursor = models.CharField(
        _("orders read up to (shop time)"),
        max_length=19,
        blank=True,
        help_text=_("The date_upd of the last order read, in the shop's time zone."),
    )
    baseline_order_id = models.PositiveBigIntegerField(
        _("last order before linking"),
        null=True,
        blank=True,
        help_text=_("Orders up to this id were placed before the integration read orders."),
    )
    shop_timezone = models.CharField(_("shop time zone"), max_length=64, blank=True)
    states_read_at = models.DateTimeField(_("order states read at"), null=True, blank=True)
    read_at = models.DateTimeField(_("orders read at"), null=True, blank=True)
    reading_since = models.DateTimeField(_("reading orders since"), null=True, blank=True)
    reading_by = models.CharField(_("read by task"), max_length=64, blank=True)
    imported_at = models.DateTimeField(_("open orders imported at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order feed")
        verbose_name_plural = _("order feeds")

    def __str__(self):
        return f"{self.integration_id}: {self.cursor or '-'}"


class ShopOrderState(models.Model):
    """One of the shop's order states and what it does to the order's reservation."""

    class Role(models.TextChoices):
        RESERVE = "reserve", _("holds stock")
        SHIP = "ship", _("shipped")
        RELEASE = "release", _("cancelled: gives stock back")

    integration = models.ForeignKey(
        "integrations.Integration",
        models.CASCADE,
        related_name="order_states",
        verbose_name=_("integration"),
    )
    ps_state_id = models.PositiveIntegerField(_("state id in the shop"))
    name = models.CharField(_("name"), max_length=128, blank=True)
    shipped = models.BooleanField(_("shipped"), default=False)
    paid = models.BooleanField(_("paid"), default=False)
    logable = models.BooleanField(_("counted as a sale"), default=False)
    delivery = models.BooleanField(_("delivery"), default=False)
    config_key = models.CharField(_("shop configuration key"), max_length=32, blank=True)
    role = models.CharField(
        _("what it does"), max_length=10, choices=Role.choices, default=Role.RESERVE
    )
    role_set_by_operator = models.BooleanField(
        _("set by the operator"), default=False, editable=False
    )
    missing_in_shop = models.BooleanField(_("no longer in the shop"), default=False, editable=False)

    class Meta:
        verbose_name = _("order state")
        verbose_name_plural = _("order states")
        ordering = ["integration", "ps_state_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "ps_state_id"], name="orderstate_unique_per_shop"
            ),
        ]

    def __str__(self):
        return f"{self.ps_state_id} {self.name}"


class ShopOrder(models.Model):
    """One order of the shop as last read, and the ledger reservation it holds."""

    integration = models.ForeignKey(
        "integrations.Integration",
        models.CASCADE,
        related_name="shop_orders",
        verbose_name=_("integration"),
    )
    ps_order_id = models.PositiveBigIntegerField(_("order id in the shop"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    ps_state_id = models.PositiveIntegerField(_("state id in the shop"))
    date_add = models.CharField(_("placed at (shop time)"), max_length=19)
    date_upd = models.CharField(_("changed at (shop time)"), max_length=19)
    # [[id_product, id_product_attribute, quantity], ...] as the shop's order_details say.
    lines = models.JSONField(_("lines in the shop"), default=list)
    problem = models.TextField(_("problem"), blank=True)
    predates_link = models.BooleanField(
        _("placed before linking"),
        default=False,
        help_text=_("Not reserved unless the open orders are imported."),
    )
    imported = models.BooleanField(_("imported"), default=False)
    reservation = models.OneToOneField(
        Reservation,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="shop_order",
        verbose_name=_("reservation"),
    )
    lines_read_at = models.DateTimeField(_("lines read at"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("first read at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("shop order")
        verbose_name_plural = _("shop orders")
        ordering = ["-ps_order_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "ps_order_id"], name="shoporder_unique_per_shop"
            ),
        ]

    def __str__(self):
        return self.reference or f"#{self.ps_order_id}"
