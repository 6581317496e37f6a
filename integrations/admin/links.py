"""Product links (the outbox, readable by an operator) and the read-only sync log."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.admin import views
from integrations.admin.filters import AttentionFilter
from integrations.engine import outbox
from integrations.models import ProductLink, SyncLogEntry
from integrations.tasks import resync_links

LINK_STATE_FIELDS = (
    "ps_stock_id",
    "state",
    "dirty",
    "version",
    "dirty_since",
    "claimed_at",
    "claimed_by",
    "failed_attempts",
    "next_attempt_at",
    "last_error",
    "last_pushed_quantity",
    "last_pushed_at",
    "last_shop_quantity",
)


@admin.register(ProductLink)
class ProductLinkAdmin(admin.ModelAdmin):
    list_display = (
        "sku",
        "product_name",
        "integration",
        "ps_product_id",
        "ps_combination_id",
        "state",
        "dirty",
        "failed_attempts",
        "short_last_error",
        "last_pushed_quantity",
        "last_pushed_at",
        "next_attempt_at",
    )
    list_filter = ("integration", "state", "dirty", AttentionFilter)
    search_fields = ("product__sku", "product__name", "product__ean")
    list_select_related = ("product", "integration")
    autocomplete_fields = ("product",)
    fields = ("integration", "product", "ps_product_id", "ps_combination_id", *LINK_STATE_FIELDS)
    readonly_fields = LINK_STATE_FIELDS
    actions = ["sync_selected"]

    @admin.display(description=gettext_lazy("SKU"), ordering="product__sku")
    def sku(self, obj):
        return obj.product.sku

    @admin.display(description=gettext_lazy("name"), ordering="product__name")
    def product_name(self, obj):
        return obj.product.name

    @admin.display(description=gettext_lazy("last error"))
    def short_last_error(self, obj):
        return obj.last_error[:120]

    def has_run_sync_permission(self, request):
        return views.can_run_sync(request)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"ps_product_id", "ps_combination_id"} & set(form.changed_data):
            # Another shop row: what the shop holds there is unknown, so send the ledger's.
            ProductLink.objects.filter(pk=obj.pk).update(ps_stock_id=None)
            if self.has_run_sync_permission(request):
                resync_links([obj.pk])
            else:
                self.mark_for_next_sync(request, obj)

    def mark_for_next_sync(self, request, obj):
        """Without the sync permission nothing is sent now: the link waits, marked, for the
        next sync (the periodic drain, or a full sync if the link is broken)."""
        with transaction.atomic():
            outbox.mark([obj.product_id], integration_ids=[obj.integration_id])
        self.message_user(
            request,
            _(
                "The link points at another shop row now. Its stock was not sent to the shop "
                "because you may not start a sync: the link waits for the next sync."
            ),
            messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Sync selected"), permissions=["run_sync"])
    def sync_selected(self, request, queryset):
        outcome = resync_links(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            _("%(count)d links were queued for sync; they will reach the shop in a moment.")
            % {"count": outcome.queued},
            messages.SUCCESS if outcome.queued else messages.WARNING,
        )
        if outcome.skipped:
            self.message_user(
                request,
                _(
                    "%(count)d links were skipped: their integration does not send stock to "
                    "the shop in its current mode."
                )
                % {"count": sum(outcome.skipped.values())},
                messages.WARNING,
            )


@admin.register(SyncLogEntry)
class SyncLogEntryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "integration",
        "sku",
        "quantity_before",
        "quantity_written",
        "outcome",
        "cause",
        "short_message",
        "run",
    )
    list_filter = ("outcome", "integration")
    search_fields = ("sku",)
    list_select_related = ("integration", "run__integration")
    readonly_fields = (
        "created_at",
        "integration",
        "link",
        "run",
        "sku",
        "quantity_before",
        "quantity_written",
        "cause",
        "outcome",
        "message",
    )
    fields = readonly_fields

    @admin.display(description=gettext_lazy("message"))
    def short_message(self, obj):
        return obj.message[:120]

    # The audit log is written by the engine only; it is pruned by age, not by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
