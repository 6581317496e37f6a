"""Documents in the admin: lines editable while draft (a page at a time), an approve button,
and cancellation through a confirmation page (warehouse.admin_cancel)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from warehouse import admin_cancel, services
from warehouse.admin_lines import DocumentLineInline, is_draft
from warehouse.exceptions import LedgerError
from warehouse.models import REASONS_BY_KIND, Document
from warehouse.numbering import next_document_number

HEADER_FIELDS = ("kind", "warehouse", "target_warehouse", "reason")
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


class DocumentForm(forms.ModelForm):
    """An operator names the reason of every IN (PW) and OUT (RW) document."""

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind", self.instance.kind)
        if "reason" in self.fields and kind in REASONS_BY_KIND and not cleaned.get("reason"):
            self.add_error("reason", _("Choose the reason of an IN (PW) or OUT (RW) document."))
        return cleaned


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    form = DocumentForm
    list_display = (
        "number",
        "kind",
        "warehouse",
        "target_warehouse",
        "status",
        "created_at",
        "approved_at",
    )
    list_filter = ("kind", "status", "warehouse", "origin", "reason")
    search_fields = ("number", "lines__product__sku")
    list_select_related = ("warehouse", "target_warehouse")
    fields = (*HEADER_FIELDS, "note", *RECORD_FIELDS)
    inlines = [DocumentLineInline]
    actions = ["approve_selected", "cancel_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return RECORD_FIELDS
        if is_draft(obj):
            return ("kind", *RECORD_FIELDS)
        return (*HEADER_FIELDS, *RECORD_FIELDS)

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

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, DocumentLineInline):
            return inline.paged_formset_kwargs(request, obj, kwargs)
        return kwargs

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_approve": self.has_approve_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("cancel/", wrap(self.cancel_view), name="warehouse_document_cancel_selected"),
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
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        document = self.get_object(request, unquote(object_id))
        if document is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_approve_permission(request):
            raise PermissionDenied
        try:
            services.approve(document, user=request.user)
        except LedgerError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            message = _("Document %(number)s approved.") % {"number": document.number}
            self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:warehouse_document_change", args=[document.pk]))

    def cancel_view(self, request, object_id=None):
        """GET: what cancelling would do; POST with the confirmation: cancel.

        One document (``object_id``) or several (``?ids=1,2``, from the bulk action).
        """
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not self.has_approve_permission(request):
            raise PermissionDenied
        ids = [unquote(object_id)] if object_id else request.GET.get("ids", "").split(",")
        documents = admin_cancel.selected_documents(ids)
        if not documents:
            return self._get_obj_does_not_exist_redirect(request, self.opts, ",".join(ids))
        confirmed = admin_cancel.confirmed_documents(request, documents)
        if confirmed is not None:
            return self._cancel_confirmed(request, confirmed, single=object_id is not None)
        context = {
            **self.admin_site.each_context(request),
            **admin_cancel.confirmation_context(request, documents),
            "opts": self.opts,
            "single": documents[0] if object_id is not None else None,
            "title": _("Cancel document") if len(documents) == 1 else _("Cancel documents"),
        }
        return TemplateResponse(request, admin_cancel.TEMPLATE, context)

    def _cancel_confirmed(self, request, documents, *, single: bool):
        done = self._run_each(request, documents, services.cancel)
        if single and documents:
            if done:
                message = _("Document %(number)s cancelled.") % {"number": documents[0].number}
                self.message_user(request, message, messages.SUCCESS)
            change = reverse("admin:warehouse_document_change", args=[documents[0].pk])
            return HttpResponseRedirect(change)
        message = ngettext("%(count)d document cancelled.", "%(count)d documents cancelled.", done)
        self._report_done(request, message, done)
        return HttpResponseRedirect(reverse("admin:warehouse_document_changelist"))

    @admin.action(description=gettext_lazy("Approve selected documents"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        done = self._run_each(request, queryset.order_by("pk"), services.approve)
        message = ngettext("%(count)d document approved.", "%(count)d documents approved.", done)
        self._report_done(request, message, done)

    @admin.action(description=gettext_lazy("Cancel selected documents"), permissions=["approve"])
    def cancel_selected(self, request, queryset):
        """Send the operator to the confirmation page for the selection; nothing is cancelled."""
        return HttpResponseRedirect(admin_cancel.selection_url(queryset.order_by("pk")))

    def _report_done(self, request, message: str, done: int) -> None:
        """Success when some documents were done, a warning when none was."""
        self.message_user(
            request, message % {"count": done}, messages.SUCCESS if done else messages.WARNING
        )

    def _run_each(self, request, documents, service) -> int:
        """Each document in its own transaction: one refusal does not stop the others."""
        done = 0
        for document in documents:
            try:
                service(document, user=request.user)
            except LedgerError as exc:
                self.message_user(request, f"{document.number}: {exc}", messages.ERROR)
            else:
                done += 1
        return done
