"""Shop orders in the admin: what each order holds, its problems, its one-click goods issue;
the order states' roles on the integration page; the import of orders from before linking."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.engine import order_states
from integrations.engine.order_apply import issue_order_goods, release_all
from integrations.engine.order_import import import_open_orders
from integrations.models import Integration, OrderFeed, ShopOrder, ShopOrderState
from integrations.prestashop import PrestaShopError
from integrations.reasons import describe_failure
from warehouse.admin_reservations import issue_each

EMPTY = "\u2014"


class ShopOrderStateInline(admin.TabularInline):
    """The shop's order states on the integration page; only what each does is editable."""

    model = ShopOrderState
    fields = ("ps_state_id", "name", "config_key", "shipped", "paid", "logable", "role")
    readonly_fields = ("ps_state_id", "name", "config_key", "shipped", "paid", "logable")
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("order states of the shop: what each does to stock")

    def has_add_permission(self, request, obj=None):
        return False


def save_state_roles(formset) -> None:
    """Store the roles the operator changed; they stay whatever the shop says later."""
    for form in formset.forms:
        if form.instance.pk and "role" in form.changed_data:
            order_states.set_role(form.instance, form.cleaned_data["role"])


def check_order_warehouse(form: forms.ModelForm) -> None:
    """The warehouse shipping the orders must feed the shop, or its orders lower nothing."""
    chosen = form.cleaned_data.get("order_warehouse")
    feeding = form.cleaned_data.get("warehouses")
    if chosen is not None and feeding and chosen not in feeding:
        form.add_error(
            "order_warehouse",
            _("Choose one of the warehouses feeding the shop, or leave it empty."),
        )


def orders_status(integration: Integration) -> str:
    """One line on the integration page: how far the orders are read, and the last error."""
    feed = OrderFeed.objects.filter(integration=integration).first()
    if not integration.reserve_orders:
        return _("Off: the shop gets the bare balance.")
    if feed is None or feed.read_at is None:
        return _("Not read yet.")
    text = _("Read at %(at)s, up to %(cursor)s (shop time).") % {
        "at": formats.localize(timezone.localtime(feed.read_at)),
        "cursor": feed.cursor or EMPTY,
    }
    if feed.imported_at is not None:
        text += " " + _("Open orders from before linking imported at %(at)s.") % {
            "at": formats.localize(timezone.localtime(feed.imported_at))
        }
    if feed.last_error:
        text += " " + _("Last error: %(error)s") % {"error": feed.last_error}
    return text


def release_reservations(model_admin, request, integration: Integration) -> None:
    """The integration stops reading orders (or is deleted): its open reservations end."""
    released = release_all(integration)
    if released:
        model_admin.message_user(
            request,
            _("%(name)s: %(count)d open reservations were released.")
            % {"name": integration.name, "count": released},
            messages.WARNING,
        )


def import_orders_action(model_admin, request, queryset) -> None:
    """Admin action: reserve the open orders placed before each integration read orders."""
    for integration in queryset.filter(reserve_orders=True):
        try:
            result = import_open_orders(integration)
        except PrestaShopError as error:
            model_admin.message_user(
                request,
                f"{integration}: {describe_failure(error, key=integration.readable_api_key)}",
                messages.ERROR,
            )
            continue
        model_admin.message_user(
            request,
            _("%(name)s: %(count)d open orders hold their stock now (%(problems)d with a problem).")
            % {"name": integration.name, "count": result.orders, "problems": result.problems},
            messages.SUCCESS,
        )


class ProblemFilter(admin.SimpleListFilter):
    title = gettext_lazy("problem")
    parameter_name = "problem"

    def lookups(self, request, model_admin):
        return [("yes", _("with a problem")), ("no", _("no problem"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(problem="")
        if self.value() == "no":
            return queryset.filter(problem="")
        return queryset


@admin.register(ShopOrder)
class ShopOrderAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "ps_order_id",
        "integration",
        "state",
        "reservation_status",
        "predates_link",
        "short_problem",
        "date_upd",
    )
    list_filter = ("integration", ProblemFilter, "reservation__status", "predates_link")
    search_fields = ("reference", "ps_order_id")
    list_select_related = ("integration", "reservation")
    fields = (
        "integration",
        "ps_order_id",
        "reference",
        "state",
        "date_add",
        "date_upd",
        "lines",
        "reservation_link",
        "problem",
        "predates_link",
        "imported",
        "first_seen_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ["issue_goods_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # Deleting an order row only forgets it (an integration being deleted takes its rows
        # along); no bulk action offers it.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_approve_permission(self, request):
        return request.user.has_perm("warehouse.approve_document")

    @admin.display(description=gettext_lazy("state in the shop"), ordering="ps_state_id")
    def state(self, obj):
        found = ShopOrderState.objects.filter(
            integration_id=obj.integration_id, ps_state_id=obj.ps_state_id
        ).first()
        if found is None:
            return str(obj.ps_state_id)
        return f"{found.name} ({found.get_role_display()})"

    @admin.display(description=gettext_lazy("reservation"), ordering="reservation__status")
    def reservation_status(self, obj):
        return obj.reservation.get_status_display() if obj.reservation else EMPTY

    @admin.display(description=gettext_lazy("reservation"))
    def reservation_link(self, obj):
        if obj.reservation is None:
            return EMPTY
        url = reverse("admin:warehouse_reservation_change", args=[obj.reservation_id])
        return format_html('<a href="{}">{}</a>', url, obj.reservation.get_status_display())

    @admin.display(description=gettext_lazy("problem"))
    def short_problem(self, obj):
        return obj.problem[:120]

    @admin.action(
        description=gettext_lazy("Issue the goods of the selected orders (WZ)"),
        permissions=["approve"],
    )
    def issue_goods_selected(self, request, queryset):
        orders = queryset.select_related("reservation").order_by("pk")
        issue_each(self, request, orders, lambda order: issue_order_goods(order, user=request.user))
