"""Product links (the outbox, readable by an operator) and the read-only sync log."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.admin import views
from integrations.admin.filters import AttentionFilter
from integrations.engine import outbox
from integrations.models import ProductLink, SyncLogEntry
from integrations.panel.progress import grouped
from integrations.tasks import resync_links
from invsync.badges import badge

EMPTY = "\u2014"
ERROR_PREVIEW = 60  # characters of an error in a list; the whole text is on the change page
LINK_STATE_KINDS = {
    ProductLink.State.OK: "ok",
    ProductLink.State.DIRTY: "info",
    ProductLink.State.FAILING: "warning",
    ProductLink.State.BROKEN: "error",
    ProductLink.State.UNCERTAIN: "warning",
}
OUTCOME_KINDS = {
    SyncLogEntry.Outcome.WRITTEN: "ok",
    SyncLogEntry.Outcome.BOOKED: "ok",
    SyncLogEntry.Outcome.NOT_APPLIED: "warning",
    SyncLogEntry.Outcome.FAILED: "error",
}
LINK_STATE_FIELDS = (
    "ps_stock_id",
    "state",
    "needs_sync",  # "dirty" as words: a red ✗ for "no" would read as an error
    "version",
    "dirty_since",
    "claimed_at",
    "claimed_by",
    "failed_attempts",
    "next_attempt_at",
    "recheck_at",
    "last_error",
    "last_pushed_quantity",
    "last_pushed_at",
    "last_shop_quantity",
)


@admin.register(ProductLink)
class ProductLinkAdmin(admin.ModelAdmin):
    # Fits 1,366 px with the filters; times, attempts and claims are on the change page.
    list_display = (
        "sku",
        "product_name",
        "integration",
        "ps_product_id",
        "state_badge",
        "last_pushed_quantity",
        "short_last_error",
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

    @admin.display(description=gettext_lazy("state"), ordering="state")
    def state_badge(self, obj):
        if obj.needs_attention and obj.state != ProductLink.State.BROKEN:
            # Failing at the back-off's ceiling: a human should look, say so in the state.
            text = _("%(state)s, needs attention") % {"state": obj.get_state_display()}
            return badge(text, "error")
        return badge(obj.get_state_display(), LINK_STATE_KINDS.get(obj.state, "muted"))

    @admin.display(description=gettext_lazy("needs sync"))
    def needs_sync(self, obj):
        return _("yes") if obj.dirty else _("no")

    @admin.display(description=gettext_lazy("last error"))
    def short_last_error(self, obj):
        return Truncator(obj.last_error).chars(ERROR_PREVIEW)

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
    # Fits 1,366 px with the filters: both quantities in one column; the run is on the
    # entry's page.
    list_display = (
        "created_at",
        "integration",
        "sku",
        "quantities",
        "outcome_badge",
        "cause",
        "short_message",
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

    @admin.display(description=gettext_lazy("shop quantity: before → written"))
    def quantities(self, obj):
        before, written = (
            EMPTY if value is None else grouped(value)
            for value in (obj.quantity_before, obj.quantity_written)
        )
        return f"{before} → {written}"

    @admin.display(description=gettext_lazy("outcome"), ordering="outcome")
    def outcome_badge(self, obj):
        return badge(obj.get_outcome_display(), OUTCOME_KINDS.get(obj.outcome, "muted"))

    @admin.display(description=gettext_lazy("message"))
    def short_message(self, obj):
        return Truncator(obj.message).chars(ERROR_PREVIEW)

    # The audit log is written by the engine only; it is pruned by age, not by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
