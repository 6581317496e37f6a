"""The ledger in the admin (Polish through i18n). Balances and movements are read-only:
stock changes only by approving or cancelling documents (warehouse.admin_documents)."""

from django.contrib import admin
from django.db.models import Sum
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from invsync.badges import badge
from warehouse.admin_documents import DocumentAdmin  # noqa: F401 - registers the document admin
from warehouse.admin_reservations import open_reservations_table, reserved_subquery
from warehouse.models import Product, StockLevel, StockMovement, Warehouse


class ReadOnlyMixin:
    """No add, change or delete: the ledger is never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StockLevelInline(ReadOnlyMixin, admin.TabularInline):
    model = StockLevel
    fields = ("warehouse", "quantity")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("stock per warehouse")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "ean", "active_badge", "total_stock", "reserved", "available")
    list_filter = ("active",)
    search_fields = ("sku", "name", "ean")
    readonly_fields = ("stock_summary", "open_reservations", "movement_history")
    inlines = [StockLevelInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_total_stock=Sum("stock_levels__quantity"), _reserved=reserved_subquery())
        )

    @admin.display(description=_("active"), ordering="active")
    def active_badge(self, obj):
        if obj.active:
            return badge(pgettext("product state", "active"), "ok")
        return badge(pgettext("product state", "inactive"), "muted")

    @admin.display(description=_("stock, all warehouses"), ordering="_total_stock")
    def total_stock(self, obj):
        return obj._total_stock or 0

    @admin.display(description=_("reserved for orders"), ordering="_reserved")
    def reserved(self, obj):
        return getattr(obj, "_reserved", 0) or 0

    @admin.display(description=_("available"))
    def available(self, obj):
        return self.total_stock(obj) - self.reserved(obj)

    @admin.display(description=_("stock"))
    def stock_summary(self, obj):
        if obj.pk is None:
            return "-"
        return _("balance %(balance)d, reserved %(reserved)d, available %(available)d") % {
            "balance": self.total_stock(obj),
            "reserved": self.reserved(obj),
            "available": self.available(obj),
        }

    @admin.display(description=_("open reservations"))
    def open_reservations(self, obj):
        return "-" if obj.pk is None else open_reservations_table(obj)

    @admin.display(description=_("movement history"))
    def movement_history(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:warehouse_stockmovement_changelist")
        query = urlencode({"product__id__exact": obj.pk})
        return format_html('<a href="{}?{}">{}</a>', url, query, _("Show this product's movements"))


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("product", "warehouse", "quantity")
    list_filter = ("warehouse",)
    search_fields = ("product__sku", "product__name")
    list_select_related = ("product", "warehouse")


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyMixin, admin.ModelAdmin):
    # The product as text that may wrap (Django keeps a foreign key on one line, and a long
    # product name pushed the list past a 1,366 px screen).
    list_display = ("created_at", "document", "product_text", "warehouse", "delta")
    list_filter = ("warehouse", "document__kind")
    search_fields = ("product__sku", "document__number")
    list_select_related = ("product", "warehouse", "document")

    @admin.display(description=_("product"), ordering="product__sku")
    def product_text(self, obj):
        return str(obj.product)
