"""Reservations in the admin: read-only, with the one-click goods issue (WZ) of an order, and
each product's balance, reserved and available quantities with its open reservations."""

from django.contrib import admin, messages
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warehouse import reservations
from warehouse.exceptions import LedgerError
from warehouse.models import Reservation, ReservationLine


def reserved_subquery():
    """Units of a product held by open reservations, for annotating products (0 when none)."""
    held = (
        ReservationLine.objects.filter(
            product=OuterRef("pk"), reservation__status=Reservation.Status.OPEN
        )
        .order_by()
        .values("product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(held, output_field=IntegerField()), 0)


def open_reservations_table(product) -> str:
    """The product's open reservations with their orders, as a small HTML table."""
    lines = (
        ReservationLine.objects.filter(product=product, reservation__status=Reservation.Status.OPEN)
        .select_related("reservation__warehouse")
        .order_by("reservation__created_at")
    )
    rows = [
        (
            reverse("admin:warehouse_reservation_change", args=[line.reservation_id]),
            line.reservation.order_reference or f"#{line.reservation.order_id}",
            line.reservation.channel_name or line.reservation.channel,
            line.reservation.warehouse.code,
            line.quantity,
        )
        for line in lines
    ]
    if not rows:
        return _("none")
    header = format_html(
        "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        _("order"),
        _("shop"),
        _("warehouse"),
        _("quantity"),
    )
    body = format_html_join(
        "", '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>', rows
    )
    return format_html("<table>{}{}</table>", header, body)


class ReservationLineInline(admin.TabularInline):
    model = ReservationLine
    fields = ("product", "quantity")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = (
        "order_label",
        "order_id",
        "channel_name",
        "warehouse",
        "status",
        "units",
        "created_at",
        "document",
    )
    list_filter = ("status", "warehouse", "channel_name")
    search_fields = ("order_reference", "channel_name", "lines__product__sku")
    list_select_related = ("warehouse", "document")
    fields = (
        "channel",
        "channel_name",
        "order_id",
        "order_reference",
        "warehouse",
        "status",
        "document",
        "created_at",
        "updated_at",
        "closed_at",
    )
    readonly_fields = fields
    inlines = [ReservationLineInline]
    actions = ["issue_goods_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_units=Sum("lines__quantity"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm("warehouse.approve_document")

    @admin.display(description=gettext_lazy("order"), ordering="order_reference")
    def order_label(self, obj):
        return obj.order_reference or f"#{obj.order_id}"

    @admin.display(description=gettext_lazy("units"), ordering="_units")
    def units(self, obj):
        return obj._units or 0

    @admin.action(
        description=gettext_lazy("Issue the goods of the selected orders (WZ)"),
        permissions=["approve"],
    )
    def issue_goods_selected(self, request, queryset):
        issue_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda reservation: reservations.issue_goods(reservation, user=request.user),
        )


def issue_each(model_admin, request, items, issue) -> int:
    """Book each order's goods issue in its own transaction, report every outcome; the count.

    `issue(item)` returns the approved WZ or raises a LedgerError (it then booked nothing).
    """
    done = 0
    for item in items:
        try:
            document = issue(item)
        except LedgerError as error:
            model_admin.message_user(request, f"{item}: {error}", messages.ERROR)
            continue
        done += 1
        model_admin.message_user(
            request,
            _("Order %(order)s: goods issue %(number)s approved.")
            % {"order": item, "number": document.number},
            messages.SUCCESS,
        )
    if not done:
        model_admin.message_user(request, _("No goods issue was booked."), messages.WARNING)
    return done
