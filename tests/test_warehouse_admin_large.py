"""A 3,000-line document opens with the same queries as a 10-line one: its lines come a page
at a time, editable while draft and read-only once approved; so does its cancellation page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.test_warehouse_admin import action_url, change_url
from warehouse import services
from warehouse.admin_lines import LINES_PER_PAGE
from warehouse.models import Document, DocumentLine, Product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("polish")]


@pytest.fixture
def make_large(warehouse):
    """make_large(lines, *, approve=False) -> a PZ with that many lines (quantity = line no.)."""
    made = iter(range(1_000_000))

    def make(count: int, *, approve: bool = False) -> Document:
        batch = next(made)
        products = Product.objects.bulk_create(
            Product(sku=f"L{batch}-{n:05d}", name=f"Produkt {n}") for n in range(count)
        )
        lines = [(product, n + 1) for n, product in enumerate(products)]
        document = services.create_document("PZ", warehouse, lines)
        if approve:
            services.approve(document, user=None)
        return document

    return make


def queries_to_open(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response


def shown_lines(response) -> list[int]:
    formset = response.context["inline_admin_formsets"][0].formset
    return [form.instance.quantity for form in formset.initial_forms]


def test_a_3000_line_draft_opens_with_the_queries_of_a_10_line_one(admin_client, make_large):
    small, large = make_large(10), make_large(3000)
    queries_to_open(admin_client, change_url(small))  # warm the session and caches

    small_count, small_page = queries_to_open(admin_client, change_url(small))
    large_count, large_page = queries_to_open(admin_client, change_url(large))

    assert small_count == large_count
    assert shown_lines(small_page) == list(range(1, 11))
    assert shown_lines(large_page) == list(range(1, LINES_PER_PAGE + 1))
    assert 'id="line-pages"' in large_page.content.decode()
    assert 'id="line-pages"' not in small_page.content.decode()


def test_a_3000_line_approved_document_and_its_cancellation_page_open_like_a_10_line_one(
    admin_client, make_large
):
    small, large = make_large(10, approve=True), make_large(3000, approve=True)
    for url in (change_url(small), action_url(small, "cancel")):
        queries_to_open(admin_client, url)  # warm the session and caches

    counts = [
        queries_to_open(admin_client, url)[0] for url in (change_url(small), change_url(large))
    ]
    last_count, last_page = queries_to_open(admin_client, f"{change_url(large)}?lines=30")
    cancel_counts, cancel_pages = zip(
        *(queries_to_open(admin_client, action_url(d, "cancel")) for d in (small, large)),
        strict=True,
    )

    assert counts == [last_count, last_count]
    assert shown_lines(last_page) == list(range(2901, 3001))
    page = last_page.content.decode()
    assert "2\xa0901\u20133\xa0000 z 3\xa0000" in page  # an en dash, Polish digit grouping
    assert '<span class="this-page">30</span>' in page
    assert cancel_counts[0] == cancel_counts[1]
    assert [len(p.context["page"]) for p in cancel_pages] == [10, 100]
    assert cancel_pages[1].context["page"].paginator.count == 3000


def test_saving_a_page_of_a_draft_changes_only_that_pages_lines(admin_client, make_large):
    draft = make_large(250)
    response = admin_client.get(change_url(draft), {"lines": 2})
    forms = response.context["inline_admin_formsets"][0].formset.initial_forms
    data = {
        "warehouse": draft.warehouse_id,
        "target_warehouse": "",
        "reason": "",
        "note": "",
        "lines-TOTAL_FORMS": str(len(forms)),
        "lines-INITIAL_FORMS": str(len(forms)),
    }
    for index, form in enumerate(forms):
        line = form.instance
        data |= {
            f"lines-{index}-id": line.pk,
            f"lines-{index}-document": draft.pk,
            f"lines-{index}-product": line.product_id,
            f"lines-{index}-quantity": 7 if index == 0 else line.quantity,
        }

    saved = admin_client.post(f"{change_url(draft)}?lines=2", data)

    assert saved.status_code == 302
    quantities = list(
        DocumentLine.objects.filter(document=draft).values_list("quantity", flat=True)
    )
    assert quantities == [*range(1, 101), 7, *range(102, 251)]
