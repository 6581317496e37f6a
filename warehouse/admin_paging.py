"""Page links for the ledger's long admin tables (a document's lines, a cancellation's changes)."""

from django.core.paginator import Page


def page_links(request, page: Page, *, var: str) -> list[tuple[str, str]]:
    """(label, query string) per page to offer; "" for the current page and the ellipses.

    The query string keeps the request's other parameters and sets ``var`` to the page.
    """
    params = request.GET.copy()
    links = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number in (page.number, page.paginator.ELLIPSIS):
            links.append((str(number), ""))
            continue
        params[var] = number
        links.append((str(number), f"?{params.urlencode()}"))
    return links
