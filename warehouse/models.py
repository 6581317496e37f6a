"""The stock ledger's tables. Stock changes only through warehouse.services."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from warehouse.bounds import MAX_QUANTITY


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    ean = models.CharField(_("EAN"), max_length=32, blank=True, db_index=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]

    def __str__(self):
        return f"{self.sku} {self.name}"


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=255)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class StockLevel(models.Model):
    """The balance of one product in one warehouse: always the sum of its movements."""

    product = models.ForeignKey(
        Product, models.PROTECT, related_name="stock_levels", verbose_name=_("product")
    )
    warehouse = models.ForeignKey(
        Warehouse, models.PROTECT, related_name="stock_levels", verbose_name=_("warehouse")
    )
    quantity = models.IntegerField(_("quantity"), default=0)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stocklevel_unique_pair"),
            # The services refuse negative stock; the database refuses it too, as a last guard.
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="stocklevel_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__lte=MAX_QUANTITY),
                name="stocklevel_quantity_within_limit",
            ),
        ]

    def __str__(self):
        return f"{self.product.sku} @ {self.warehouse.code}: {self.quantity}"


class Document(models.Model):
    class Kind(models.TextChoices):
        PZ = "PZ", _("PZ goods receipt")
        WZ = "WZ", _("WZ goods issue")
        IN = "IN", _("IN (PW) internal receipt")
        OUT = "OUT", _("OUT (RW) internal issue")
        MM = "MM", _("MM transfer between warehouses")
        INW = "INW", _("INW inventory count")

    class Reason(models.TextChoices):
        SURPLUS = "surplus", _("surplus")
        DAMAGE = "damage", _("damage")
        DISPOSAL = "disposal", _("disposal")
        OWN_USE = "own_use", _("own use")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")
        CANCELLED = "cancelled", _("cancelled")

    class Origin(models.TextChoices):
        MANUAL = "manual", _("entered by hand")
        IMPORT = "import", _("import")
        SHOP = "shop", _("from the shop")

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    warehouse = models.ForeignKey(
        Warehouse,
        models.PROTECT,
        related_name="documents",
        verbose_name=_("warehouse"),
        help_text=_("For MM, the warehouse the goods leave."),
    )
    target_warehouse = models.ForeignKey(
        Warehouse,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="incoming_documents",
        verbose_name=_("target warehouse"),
        help_text=_("Only for MM: the warehouse the goods go to."),
    )
    reason = models.CharField(
        _("reason"),
        max_length=10,
        choices=Reason.choices,
        blank=True,
        help_text=_("For IN (PW) and OUT (RW) documents."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.MANUAL
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("approved by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("cancelled by"),
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_document", _("Can approve and cancel documents"))]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="MM", target_warehouse__isnull=False)
                    & ~Q(target_warehouse=F("warehouse"))
                )
                | (~Q(kind="MM") & Q(target_warehouse__isnull=True)),
                name="document_target_only_for_transfers",
            ),
            models.CheckConstraint(
                condition=Q(reason="")
                | Q(kind="IN", reason__in=["surplus", "other"])
                | Q(kind="OUT", reason__in=["damage", "disposal", "own_use", "other"]),
                name="document_reason_fits_kind",
            ),
        ]

    def __str__(self):
        unsaved = _("unsaved")
        return self.number or f"{self.kind} ({unsaved})"

    @property
    def warehouse_ids(self) -> list[int]:
        """The warehouses the document books in: its own, and the target of an MM."""
        if self.kind == self.Kind.MM and self.target_warehouse_id is not None:
            return [self.warehouse_id, self.target_warehouse_id]
        return [self.warehouse_id]

    def header_errors(self) -> dict[str, str]:
        """What is wrong with the target warehouse or the reason, by field; {} if nothing."""
        errors = {}
        if self.kind == self.Kind.MM:
            if self.target_warehouse_id is None:
                errors["target_warehouse"] = _("An MM transfer needs a target warehouse.")
            elif self.target_warehouse_id == self.warehouse_id:
                errors["target_warehouse"] = _(
                    "An MM transfer must go to another warehouse than the one it leaves."
                )
        elif self.target_warehouse_id is not None:
            errors["target_warehouse"] = _("Only an MM transfer has a target warehouse.")
        allowed = REASONS_BY_KIND.get(self.kind, ())
        if self.reason and self.reason not in allowed:
            errors["reason"] = (
                _("Only IN (PW) and OUT (RW) documents have a reason.")
                if not allowed
                else _("This reason does not fit a document of this kind.")
            )
        return errors

    def clean(self):
        errors = self.header_errors()
        if errors:
            raise ValidationError(errors)


# The reasons an operator may give, by kind (the old system's usual ones).
REASONS_BY_KIND = {
    Document.Kind.IN: (Document.Reason.SURPLUS, Document.Reason.OTHER),
    Document.Kind.OUT: (
        Document.Reason.DAMAGE,
        Document.Reason.DISPOSAL,
        Document.Reason.OWN_USE,
        Document.Reason.OTHER,
    ),
}


class DocumentLine(models.Model):
    """One product on a document; for INW the quantity is the counted quantity."""

    document = models.ForeignKey(
        Document, models.CASCADE, related_name="lines", verbose_name=_("document")
    )
    product = models.ForeignKey(
        Product, models.PROTECT, related_name="document_lines", verbose_name=_("product")
    )
    quantity = models.IntegerField(
        _("quantity"),
        validators=[
            MinValueValidator(0, _("The quantity cannot be negative.")),
            MaxValueValidator(
                MAX_QUANTITY,
                _("Enter at most 2,147,483,647: a larger stock cannot reach PrestaShop."),
            ),
        ],
    )

    class Meta:
        verbose_name = _("document line")
        verbose_name_plural = _("document lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0, quantity__lte=MAX_QUANTITY),
                name="documentline_quantity_within_limit",
            ),
        ]

    def __str__(self):
        return f"{self.product.sku} x {self.quantity}"


class StockMovement(models.Model):
    """Append-only ledger entry: a signed change of one balance, caused by one document."""

    product = models.ForeignKey(
        Product, models.PROTECT, related_name="movements", verbose_name=_("product")
    )
    warehouse = models.ForeignKey(
        Warehouse, models.PROTECT, related_name="movements", verbose_name=_("warehouse")
    )
    delta = models.IntegerField(_("change"))
    document = models.ForeignKey(
        Document, models.PROTECT, related_name="movements", verbose_name=_("document")
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "warehouse"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(delta__gte=-MAX_QUANTITY, delta__lte=MAX_QUANTITY),
                name="stockmovement_delta_within_limit",
            ),
        ]

    def __str__(self):
        return f"{self.document.number}: {self.product.sku} {self.delta:+d}"


class DocumentCounter(models.Model):
    """The last number given to a document of one kind in one month.

    Its row is locked while a number is taken, so two documents created at once never share
    a number; a refused document rolls the counter back with everything else.
    """

    kind = models.CharField(_("kind"), max_length=3, choices=Document.Kind.choices)
    period = models.CharField(_("period"), max_length=7, help_text=_("Year and month, YYYY/MM."))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")
        constraints = [
            models.UniqueConstraint(fields=["kind", "period"], name="documentcounter_unique"),
        ]

    def __str__(self):
        return f"{self.kind}/{self.period}: {self.last}"


class Reservation(models.Model):
    """Stock held in one warehouse for one open order of a sales channel (a shop).

    It ends in one of two ways, each in one transaction with the ledger change: the order's
    goods issue (a WZ) books the movements and closes it, or the order's cancellation releases
    it. The ledger knows the channel only as an opaque key given by whoever reserves.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ISSUED = "issued", _("goods issued")
        RELEASED = "released", _("released")

    channel = models.CharField(
        _("sales channel"),
        max_length=64,
        help_text=_("Who holds the reservation, e.g. integration:3."),
    )
    channel_name = models.CharField(_("sales channel name"), max_length=100, blank=True)
    order_id = models.PositiveBigIntegerField(_("order id in the shop"))
    order_reference = models.CharField(_("order reference"), max_length=64, blank=True)
    warehouse = models.ForeignKey(
        Warehouse, models.PROTECT, related_name="reservations", verbose_name=_("warehouse")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    document = models.ForeignKey(
        Document,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="reservations",
        verbose_name=_("goods issue"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "order_id"], name="reservation_one_per_order"
            ),
        ]

    def __str__(self):
        order = self.order_reference or f"#{self.order_id}"
        return f"{order} ({self.channel_name or self.channel})"


class ReservationLine(models.Model):
    """Units of one product a reservation holds."""

    reservation = models.ForeignKey(
        Reservation, models.CASCADE, related_name="lines", verbose_name=_("reservation")
    )
    product = models.ForeignKey(
        Product, models.PROTECT, related_name="reservation_lines", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("reservation line")
        verbose_name_plural = _("reservation lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reservation", "product"], name="reservationline_unique_product"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="reservationline_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.product.sku} x {self.quantity}"
