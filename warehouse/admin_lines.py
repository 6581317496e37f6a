"""A document's lines in the admin, one page at a time.

A 3,000-line document opens with the same queries as a 10-line one: the lines of the page
come with their products in one query, and each line's product selector is labelled from
that product instead of asking the database again (Django's autocomplete asks once per line).
Editable while the document is a draft, read-only once it is approved.
"""

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.paginator import Page, Paginator
from django.forms.models import BaseInlineFormSet

from warehouse.admin_paging import page_links
from warehouse.models import Document, DocumentLine

LINES_PER_PAGE = 100
PAGE_VAR = "lines"


def is_draft(document) -> bool:
    return document is None or document.status == Document.Status.DRAFT


def line_page(document: Document, number) -> Page:
    """The page ``number`` (1 when missing or wrong) of the document's line ids."""
    ids = DocumentLine.objects.filter(document=document).order_by("id").values_list("id", flat=True)
    return Paginator(ids, LINES_PER_PAGE).get_page(number)


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """An autocomplete labelled from the line's own product (``preloaded``), not a query."""

    preloaded: tuple[str, str] | None = None  # (product id, label) of the saved line

    def optgroups(self, name, value, attr=None):
        if self.preloaded is None or [str(v) for v in value] != [self.preloaded[0]]:
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        product_id, label = self.preloaded
        options.append(self.create_option(name, product_id, label, True, len(options)))
        return [(None, options, 0)]


class PagedLineFormSet(BaseInlineFormSet):
    """The lines of one page (``page``, with ``page_links`` to the others)."""

    def __init__(self, *args, page: Page | None = None, page_links=(), **kwargs):
        self.page = page
        self.page_links = list(page_links)
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        field = form.fields.get("product")
        line = form.instance
        if field is not None and line.pk is not None and line.product_id is not None:
            widget = getattr(field.widget, "widget", field.widget)
            if isinstance(widget, PreloadedAutocompleteSelect):
                widget.preloaded = (str(line.product_id), field.label_from_instance(line.product))
        return form


class DocumentLineInline(admin.TabularInline):
    model = DocumentLine
    formset = PagedLineFormSet
    fields = ("product", "quantity")
    autocomplete_fields = ("product",)
    extra = 1

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "product":
            kwargs["widget"] = PreloadedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def paged_formset_kwargs(self, request, document: Document, kwargs: dict) -> dict:
        """The formset's arguments narrowed to the requested page of a saved document."""
        if document is None or document.pk is None:
            return kwargs
        page = line_page(document, request.GET.get(PAGE_VAR))
        queryset = kwargs["queryset"].filter(pk__in=list(page.object_list))
        return {
            **kwargs,
            "queryset": queryset.select_related("product"),
            "page": page,
            "page_links": page_links(request, page, var=PAGE_VAR),
        }

    def has_add_permission(self, request, obj=None):
        return is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_draft(obj) and super().has_delete_permission(request, obj)
