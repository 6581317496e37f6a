"""The document page's buttons in a real browser: "Zatwierdź" and "Anuluj dokument" sit in
line with "Historia", the same size (headless Debian Chromium through Playwright)."""

import pytest

from tests import test_browser
from warehouse.models import Document

open_chromium = test_browser.chromium  # the same fixture, under a name of this module
pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]

BOX = "el => { const r = el.getBoundingClientRect(); return [r.top, r.height, r.width > 0]; }"


def boxes(page, base_url: str, document: Document, button: str) -> dict:
    """The bounding boxes (top, height, drawn) of ``button`` and of the "Historia" link."""
    page.goto(f"{base_url}/admin/warehouse/document/{document.pk}/change/")
    if page.query_selector("#id_username"):
        page.fill("#id_username", "admin")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
    page.wait_for_selector(button)
    return {
        "button": page.eval_on_selector(button, BOX),
        "history": page.eval_on_selector(".object-tools a.historylink", BOX),
        "label": page.inner_text(button),
    }


def test_approve_and_cancel_are_drawn_like_the_history_link(
    live_server,
    admin_user,
    settings,
    open_chromium,
    make_product,
    warehouse,
    make_document,
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    product = make_product()
    draft = make_document("PZ", warehouse, [(product, 1)])
    approved = make_document("PZ", warehouse, [(product, 1)], approve=True)

    with open_chromium() as page:
        seen = [
            boxes(page, live_server.url, draft, "#approve-button"),
            boxes(page, live_server.url, approved, "#cancel-document"),
        ]

    assert [s["label"].upper() for s in seen] == ["ZATWIERDŹ", "ANULUJ DOKUMENT"]
    for found in seen:
        top, height, drawn = found["button"]
        history_top, history_height, _ = found["history"]
        assert drawn
        assert abs(top - history_top) < 0.5, found
        assert abs(height - history_height) < 0.5, found
