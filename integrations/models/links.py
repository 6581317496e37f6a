"""The links between ledger products and shop stock rows, each with its outbox mark."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrations.models.integration import Integration
from warehouse.models import Product


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
