"""List filters for operators: what needs attention."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrations.models import ProductLink


class ErrorStateFilter(admin.SimpleListFilter):
    """Integrations stopped by the shop, with an error, or clean (like healthchecks' filter)."""

    title = _("errors")
    parameter_name = "error_state"

    def lookups(self, request, model_admin):
        return [
            ("halted", _("stopped by the shop")),
            ("error", _("has an error")),
            ("ok", _("no error")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "halted":
            return queryset.filter(halted_at__isnull=False)
        if self.value() == "error":
            return queryset.exclude(last_error="")
        if self.value() == "ok":
            return queryset.filter(last_error="", halted_at__isnull=True)
        return queryset


class AttentionFilter(admin.SimpleListFilter):
    """Links that need a look: needing attention (broken, or failing for an hour and more),
    failing or broken (retried or not), uncertain (a lost write to be read again), in flight."""

    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [
            ("attention", _("needs attention")),
            ("yes", _("failing or broken")),
            ("uncertain", _("uncertain: to be read again")),
            ("in_flight", _("in flight")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "attention":
            return queryset.filter(ProductLink.attention_q())
        if self.value() == "yes":
            return queryset.filter(state__in=["failing", "broken"])
        if self.value() == "uncertain":
            return queryset.filter(state="uncertain")
        if self.value() == "in_flight":
            return queryset.filter(claimed_at__isnull=False)
        return queryset
