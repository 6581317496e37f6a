"""List filters for operators: what needs attention."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


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
    """Links that need a human: failing (retried) or broken (not retried)."""

    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", _("failing or broken")), ("in_flight", _("in flight"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(state__in=["failing", "broken"])
        if self.value() == "in_flight":
            return queryset.filter(claimed_at__isnull=False)
        return queryset
