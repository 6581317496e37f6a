"""The page that confirms cancelling approved documents, for one document or a selection.

It shows each document, what cancelling does to every balance (before -> after, a page at a
time, refusals first) and who follows the change (the shops, through ``stock_followers``).
Only a POST carrying CONFIRM_FIELD cancels, and only the documents the page showed as
approved (DOCUMENT_FIELD): one approved meanwhile is not cancelled unseen. The view lives in
DocumentAdmin.
"""

from django.core.paginator import Paginator
from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode

from warehouse.admin_paging import page_links
from warehouse.models import Document, StockMovement, Warehouse
from warehouse.selectors import cancellation_changes
from warehouse.signals import ask_followers

CONFIRM_FIELD = "confirm"
DOCUMENT_FIELD = "document"  # the documents the page showed: only these are cancelled
CHANGES_PER_PAGE = 100
PAGE_VAR = "p"
TEMPLATE = "admin/warehouse/document/cancel_confirmation.html"


def selected_documents(ids) -> list[Document]:
    """The documents with these ids (ignoring ids that are not numbers), oldest first."""
    wanted = {int(pk) for pk in ids if str(pk).strip().isdigit()}
    return list(
        Document.objects.filter(pk__in=wanted)
        .select_related("warehouse", "target_warehouse", "approved_by")
        .annotate(line_count=Count("lines"))
        .order_by("pk")
    )


def confirmed_documents(request, documents: list[Document]) -> list[Document] | None:
    """The documents a POST confirms cancelling (those its page showed); None if unconfirmed."""
    if request.method != "POST" or request.POST.get(CONFIRM_FIELD) != "yes":
        return None
    shown = set(request.POST.getlist(DOCUMENT_FIELD))
    return [document for document in documents if str(document.pk) in shown]


def selection_url(documents) -> str:
    """The confirmation page for several documents (the bulk action sends the operator there)."""
    ids = ",".join(str(document.pk) for document in documents)
    return f"{reverse('admin:warehouse_document_cancel_selected')}?{urlencode({'ids': ids})}"


def confirmation_context(request, documents: list[Document]) -> dict:
    """What the confirmation page shows: documents, balance changes, followers."""
    approved = [d for d in documents if d.status == Document.Status.APPROVED]
    changes = cancellation_changes([d.pk for d in approved])
    touched = list(
        StockMovement.objects.filter(document__in=approved)
        .order_by()
        .values_list("product_id", "warehouse_id")
        .distinct()
    )
    product_ids = {product_id for product_id, _warehouse_id in touched}
    warehouse_ids = {warehouse_id for _product_id, warehouse_id in touched}
    page = Paginator(changes, CHANGES_PER_PAGE).get_page(request.GET.get(PAGE_VAR))
    return {
        "documents": approved,
        "skipped": [d for d in documents if d.status != Document.Status.APPROVED],
        "page": page,
        "page_links": page_links(request, page, var=PAGE_VAR),
        "refused": changes.filter(refused=True).count(),
        "followers": ask_followers(product_ids, warehouse_ids) if product_ids else [],
        "warehouse_codes": sorted(
            Warehouse.objects.filter(pk__in=warehouse_ids).values_list("code", flat=True)
        ),
        "confirm_field": CONFIRM_FIELD,
        "document_field": DOCUMENT_FIELD,
    }
