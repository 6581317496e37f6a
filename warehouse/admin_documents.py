"""Documents in the admin: lines editable while draft, approve/cancel buttons and actions."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from warehouse import services
from warehouse.exceptions import LedgerError
from warehouse.models import Document, DocumentLine
from warehouse.numbering import next_document_number

RECORD_FIELDS = (
    "number",
    "status",
    "origin",
    "created_at",
    "created_by",
    "approved_at",
    "approved_by",
    "cancelled_at",
    "cancelled_by",
)


def is_draft(document) -> bool:
    return document is None or document.status == Document.Status.DRAFT


class DocumentLineInline(admin.TabularInline):
    model = DocumentLine
    fields = ("product", "quantity")
    autocomplete_fields = ("product",)
    extra = 1

    def has_add_permission(self, request, obj=None):
        return is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_draft(obj) and super().has_delete_permission(request, obj)


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "warehouse", "status", "created_at", "approved_at")
    list_filter = ("kind", "status", "warehouse", "origin")
    search_fields = ("number", "lines__product__sku")
    list_select_related = ("warehouse",)
    fields = ("kind", "warehouse", "note", *RECORD_FIELDS)
    inlines = [DocumentLineInline]
    actions = ["approve_selected", "cancel_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return RECORD_FIELDS
        if is_draft(obj):
            return ("kind", *RECORD_FIELDS)
        return ("kind", "warehouse", *RECORD_FIELDS)

    def has_delete_permission(self, request, obj=None):
        # Approved and cancelled documents are part of the ledger's history.
        return is_draft(obj) and super().has_delete_permission(request, obj)

    def has_approve_permission(self, request):
        return request.user.has_perm("warehouse.approve_document")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.number = next_document_number(obj.kind)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_approve": self.has_approve_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/approve/",
                wrap(self.approve_view),
                name="warehouse_document_approve",
            ),
            path(
                "<path:object_id>/cancel/", wrap(self.cancel_view), name="warehouse_document_cancel"
            ),
            *super().get_urls(),
        ]

    def approve_view(self, request, object_id):
        """POST: approve one document, then back to its page with the outcome."""
        return self._run(request, object_id, services.approve, _("Document %(number)s approved."))

    def cancel_view(self, request, object_id):
        """POST: cancel one approved document, then back to its page with the outcome."""
        return self._run(request, object_id, services.cancel, _("Document %(number)s cancelled."))

    def _run(self, request, object_id, service, success):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        document = self.get_object(request, unquote(object_id))
        if document is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_approve_permission(request):
            raise PermissionDenied
        try:
            service(document, user=request.user)
        except LedgerError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, success % {"number": document.number}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:warehouse_document_change", args=[document.pk]))

    @admin.action(description=gettext_lazy("Approve selected documents"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        done = self._run_each(request, queryset, services.approve)
        message = ngettext("%(count)d document approved.", "%(count)d documents approved.", done)
        self._report_done(request, message, done)

    @admin.action(description=gettext_lazy("Cancel selected documents"), permissions=["approve"])
    def cancel_selected(self, request, queryset):
        done = self._run_each(request, queryset, services.cancel)
        message = ngettext("%(count)d document cancelled.", "%(count)d documents cancelled.", done)
        self._report_done(request, message, done)

    def _report_done(self, request, message: str, done: int) -> None:
        """Success when some documents were done, a warning when none was."""
        self.message_user(
            request, message % {"count": done}, messages.SUCCESS if done else messages.WARNING
        )

    def _run_each(self, request, queryset, service) -> int:
        """Each document in its own transaction: one refusal does not stop the others."""
        done = 0
        for document in queryset.order_by("pk"):
            try:
                service(document, user=request.user)
            except LedgerError as exc:
                self.message_user(request, f"{document.number}: {exc}", messages.ERROR)
            else:
                done += 1
        return done
