"""Integrations in the admin: a write-only API key, the sync and connection-test buttons, the
estimate next to them, and the discrepancy report."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import path
from django.utils import formats, timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from integrations import limiter_state, tasks
from integrations.admin import orders, views
from integrations.admin.filters import ErrorStateFilter
from integrations.engine import estimates, runs
from integrations.models import Integration, ProductLink, ShopOrderState
from integrations.panel.progress import describe_estimate
from invsync.badges import badge

ERROR_PREVIEW = 60  # characters of an error in a list; the whole text is on the change page
KEY_HELP = _(
    "The shop's webservice key. It is never shown again: leave the field empty to keep the "
    "current key."
)


def https_by_default(db_field, **kwargs):
    """Form fields for the model; a shop URL typed without a scheme means https (Django 6)."""
    if db_field.name in ("shop_url", "notify_webhook_url"):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class IntegrationForm(forms.ModelForm):
    # render_value=False: the key never goes back to the browser, not even in the page source.
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        max_length=64,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=KEY_HELP,
    )

    class Meta:
        model = Integration
        formfield_callback = https_by_default
        fields = (
            "name",
            "kind",
            "shop_url",
            "api_key",
            "shop_id",
            "mode",
            "interval_minutes",
            "chunk_size",
            "warehouses",
            "reserve_orders",
            "issue_on_shipped",
            "order_warehouse",
            "requests_per_minute",
            "max_concurrent_requests",
            "batch_writes",
            "verify_tls",
            "active",
            "notify_emails",
            "notify_webhook_url",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["api_key"].label = capfirst(self.fields["api_key"].label)

    def clean_api_key(self):
        key = self.cleaned_data.get("api_key", "")
        if key or (self.instance.pk and self.instance.encrypted_api_key):
            return key  # empty on edit: the stored key stays, readable or not, untouched
        raise ValidationError(_("Enter the shop's API key."))

    def clean(self):
        cleaned = super().clean()
        orders.check_order_warehouse(self)
        return cleaned

    def save(self, commit=True):
        # api_key is the model's property, not a field: the form sets it (encrypting it).
        if self.cleaned_data.get("api_key"):
            self.instance.api_key = self.cleaned_data["api_key"]
        return super().save(commit)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationForm
    # Fits 1,366 px with the filters; the key, version and times are on the change page.
    list_display = ("name", "shop_url", "mode", "state", "short_last_error")
    list_filter = ("mode", "active", ErrorStateFilter)
    search_fields = ("name", "shop_url")
    actions = ["reset_rate_ceiling", "import_open_orders"]
    inlines = [orders.ShopOrderStateInline]
    readonly_fields = (
        "orders_status",
        "current_api_key",
        "rate_in_force",
        "learned_rate_ceiling",
        "concurrency_in_force",
        "shop_version",
        "halted_at",
        "last_error",
        "last_error_at",
        "created_at",
        "batch_support",
        "batch_support_reason",
        "batch_support_checked_at",
        "batch_size",
    )
    filter_horizontal = ("warehouses",)
    fieldsets = (
        (None, {"fields": ("name", "kind", "shop_url", "api_key", "current_api_key", "shop_id")}),
        (_("Sync"), {"fields": ("mode", "interval_minutes", "chunk_size", "warehouses")}),
        (
            _("Shop orders"),
            {
                "fields": (
                    "reserve_orders",
                    "issue_on_shipped",
                    "order_warehouse",
                    "orders_status",
                )
            },
        ),
        (
            _("Shop limits"),
            {
                "fields": (
                    "requests_per_minute",
                    "rate_in_force",
                    "learned_rate_ceiling",
                    "max_concurrent_requests",
                    "concurrency_in_force",
                    "verify_tls",
                )
            },
        ),
        (
            _("Multi-row writes"),
            {
                "fields": (
                    "batch_writes",
                    "batch_support",
                    "batch_support_reason",
                    "batch_support_checked_at",
                    "batch_size",
                )
            },
        ),
        (_("Notifications"), {"fields": ("notify_emails", "notify_webhook_url")}),
        (
            _("State"),
            {
                "fields": (
                    "active",
                    "shop_version",
                    "halted_at",
                    "last_error",
                    "last_error_at",
                    "created_at",
                )
            },
        ),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("shop_url", "notify_webhook_url"):
            kwargs["assume_scheme"] = "https"  # as https_by_default, for the admin's own form
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("shop orders read"))
    def orders_status(self, obj):
        return "-" if obj.pk is None else orders.orders_status(obj)

    @admin.action(
        description=_("Import the open orders placed before linking"), permissions=["change"]
    )
    def import_open_orders(self, request, queryset):
        orders.import_orders_action(self, request, queryset)

    def delete_model(self, request, obj):
        orders.release_reservations(self, request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for integration in queryset:
            orders.release_reservations(self, request, integration)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is ShopOrderState:
            orders.save_state_roles(formset)

    @admin.display(description=_("current API key"))
    def current_api_key(self, obj):
        return obj.masked_api_key

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.halted_at is not None:
            return badge(_("stopped by the shop"), "error")
        if not obj.active or obj.mode == Integration.Mode.DISABLED:
            return badge(pgettext("integration state", "disabled"), "muted")
        return badge(pgettext("integration state", "active"), "ok")

    @admin.display(description=_("last error"))
    def short_last_error(self, obj):
        return Truncator(obj.last_error).chars(ERROR_PREVIEW)

    @admin.display(description=_("rate in force"))
    def rate_in_force(self, obj):
        if obj.pk is None:
            return "-"
        status = limiter_state.limiter_status(obj)
        text = gettext("%(rate)d per minute") % {"rate": status.rate}
        if status.paused_for > 0:
            text += " " + gettext("(paused after HTTP 429 for %(seconds)d s more)") % {
                "seconds": round(status.paused_for)
            }
        return text

    @admin.display(description=_("learned rate ceiling"))
    def learned_rate_ceiling(self, obj):
        if obj.rate_ceiling is None:
            return gettext("none: the rate may reach the configured limit")
        return gettext("%(rate)d per minute, since %(since)s") % {
            "rate": obj.rate_ceiling,
            "since": formats.localize(timezone.localtime(obj.rate_ceiling_at)),
        }

    @admin.display(description=_("concurrent requests in force"))
    def concurrency_in_force(self, obj):
        value = obj.concurrency_in_force
        if obj.max_concurrent_requests:
            return gettext("%(count)d (set above)") % {"count": value}
        if obj.measured_concurrency:
            return gettext("%(count)d (automatic: measured at %(at)s)") % {
                "count": value,
                "at": formats.localize(timezone.localtime(obj.measured_concurrency_at)),
            }
        return gettext("%(count)d (automatic: not measured yet, the default)") % {"count": value}

    @admin.action(description=_("Reset the learned rate ceiling"), permissions=["change"])
    def reset_rate_ceiling(self, request, queryset):
        integrations = list(queryset)
        for integration in integrations:
            limiter_state.reset_rate_ceiling(integration)
        self.message_user(
            request,
            gettext(
                "The learned rate ceiling was reset for %(count)d integrations: their rate "
                "may climb back to the configured limit."
            )
            % {"count": len(integrations)},
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change):
        before = Integration.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        if change and "reserve_orders" in form.changed_data and not obj.reserve_orders:
            orders.release_reservations(self, request, obj)
        # Without the sync permission nothing is sent now: the periodic drain sends the marks.
        if views.can_run_sync(request) and tasks.drain_if_back(before, obj):
            self.message_user(
                request,
                gettext("The changes that waited for this integration are being sent to the shop."),
                messages.INFO,
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), **self.sync_context(request, object_id)}
        return super().change_view(request, object_id, form_url, extra_context)

    def sync_context(self, request, object_id) -> dict:
        """What the page shows next to its buttons: estimate, running run, link states."""
        integration = self.get_object(request, unquote(object_id))
        if integration is None:
            return {}
        states = dict(
            ProductLink.objects.filter(integration=integration)
            .order_by()
            .values("state")
            .annotate(count=Count("pk"))
            .values_list("state", "count")
        )
        return {
            "can_run_sync": views.can_run_sync(request),
            "can_test_connection": self.has_change_permission(request, integration),
            "estimate_text": describe_estimate(estimates.estimate(integration)),
            "active_run": runs.active_full_run(integration),
            "last_report": integration.stock_reports.first(),
            "link_states": [
                (label, states.get(value, 0)) for value, label in ProductLink.State.choices
            ],
        }

    def get_urls(self):
        wrap = self.admin_site.admin_view
        routes = [
            ("sync/", self.sync_view, "sync"),
            ("test-connection/", self.connection_test_view, "test_connection"),
            ("discrepancies/", self.discrepancies_view, "discrepancies"),
            ("discrepancies/fix/", self.fix_discrepancies_view, "fix_discrepancies"),
        ]
        return [
            *(
                path(
                    f"<path:object_id>/{route}", wrap(view), name=f"integrations_integration_{name}"
                )
                for route, view, name in routes
            ),
            *super().get_urls(),
        ]

    def sync_view(self, request, object_id):
        return views.start_sync(self, request, object_id)

    def connection_test_view(self, request, object_id):
        return views.connection_test(self, request, object_id)

    def discrepancies_view(self, request, object_id):
        return views.discrepancy_report(self, request, object_id)

    def fix_discrepancies_view(self, request, object_id):
        return views.fix_discrepancies(self, request, object_id)
