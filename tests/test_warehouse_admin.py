"""The ledger's admin, through Django's test client, in Polish."""

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Permission, User
from django.test import RequestFactory
from django.urls import reverse

from warehouse.models import Document, StockLevel, StockMovement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def polish(settings):
    settings.LANGUAGE_CODE = "pl"


def change_url(document):
    return reverse("admin:warehouse_document_change", args=[document.pk])


def action_url(document, action):
    return reverse(f"admin:warehouse_document_{action}", args=[document.pk])


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def stocked(make_product, warehouse, receive_stock):
    product = make_product("KUB-1")
    receive_stock(warehouse, {product: 5})
    return product


def test_a_draft_shows_the_approve_button_in_polish(
    admin_client, stocked, warehouse, make_document
):
    draft = make_document("PZ", warehouse, [(stocked, 1)])

    page = admin_client.get(change_url(draft)).content.decode()

    assert "Zatwierdź</button>" in page
    assert "Anuluj</button>" not in page
    assert "Zmień dokument" in page  # the model's verbose name, translated
    assert "pozycje dokumentu" in page.lower()


def test_an_approved_document_shows_the_cancel_link_and_read_only_lines(
    admin_client, stocked, warehouse, make_document
):
    approved = make_document("WZ", warehouse, [(stocked, 1)], approve=True)

    response = admin_client.get(change_url(approved))

    page = response.content.decode()
    # A link like "Historia" beside it, to the confirmation page: no one-click cancel.
    assert (
        f'<a href="{action_url(approved, "cancel")}" id="cancel-document">Anuluj dokument</a>'
        in (page)
    )
    assert "Zatwierdź</button>" not in page
    lines = response.context["inline_admin_formsets"][0]
    assert (lines.has_add_permission, lines.has_change_permission) == (False, False)


def test_the_approve_button_approves_and_records_the_user(
    admin_client, admin_user, stocked, warehouse, make_document
):
    draft = make_document("WZ", warehouse, [(stocked, 2)])

    response = admin_client.post(action_url(draft, "approve"), follow=True)

    draft.refresh_from_db()
    assert draft.status == Document.Status.APPROVED
    assert draft.approved_by == admin_user
    assert StockLevel.objects.get(product=stocked).quantity == 3
    assert messages_of(response) == [f"Dokument {draft.number} został zatwierdzony."]


def test_a_refused_issue_shows_the_whole_reason_and_changes_nothing(
    admin_client, stocked, warehouse, make_document
):
    draft = make_document("WZ", warehouse, [(stocked, 9)])
    movements = StockMovement.objects.count()

    response = admin_client.post(action_url(draft, "approve"), follow=True)

    assert messages_of(response) == [
        "Za mało towaru w magazynie MAG: KUB-1: dostępne 5, potrzebne 9, brakuje 4."
    ]
    assert 'class="error"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Document.Status.DRAFT
    assert StockLevel.objects.get(product=stocked).quantity == 5
    assert StockMovement.objects.count() == movements


def test_the_buttons_accept_only_post(admin_client, stocked, warehouse, make_document):
    draft = make_document("PZ", warehouse, [(stocked, 1)])

    assert admin_client.get(action_url(draft, "approve")).status_code == 405
    draft.refresh_from_db()
    assert draft.status == Document.Status.DRAFT


def test_a_staff_user_without_the_approve_permission_gets_no_button_and_a_403(
    client, stocked, warehouse, make_document
):
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(codename__in=["view_document", "change_document"])
    )
    client.force_login(clerk)
    draft = make_document("PZ", warehouse, [(stocked, 1)])

    assert "Zatwierdź</button>" not in client.get(change_url(draft)).content.decode()
    assert client.post(action_url(draft, "approve")).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Document.Status.DRAFT


def test_bulk_approval_approves_what_it_can_and_names_each_refusal(
    admin_client, stocked, warehouse, make_document
):
    good = make_document("PZ", warehouse, [(stocked, 1)])
    too_big = make_document("WZ", warehouse, [(stocked, 50)])

    response = admin_client.post(
        reverse("admin:warehouse_document_changelist"),
        {"action": "approve_selected", "_selected_action": [good.pk, too_big.pk]},
        follow=True,
    )

    assert messages_of(response) == [
        f"{too_big.number}: Za mało towaru w magazynie MAG: "
        "KUB-1: dostępne 6, potrzebne 50, brakuje 44.",
        "Zatwierdzono 1 dokument.",
    ]
    statuses = dict(Document.objects.filter(kind__in=["WZ"]).values_list("number", "status"))
    assert statuses == {too_big.number: "draft"}
    good.refresh_from_db()
    assert good.status == Document.Status.APPROVED
    assert StockLevel.objects.get(product=stocked).quantity == 6


def test_adding_a_document_in_the_admin_gives_it_a_number_and_an_author(
    admin_client, admin_user, stocked, warehouse
):
    response = admin_client.post(
        reverse("admin:warehouse_document_add"),
        {
            "kind": "PZ",
            "warehouse": warehouse.pk,
            "note": "",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": stocked.pk,
            "lines-0-quantity": "4",
        },
    )

    assert response.status_code == 302
    document = Document.objects.get(kind="PZ", origin="manual", created_by=admin_user)
    assert document.number.startswith("PZ/")
    assert list(document.lines.values_list("quantity", flat=True)) == [4]
    assert document.status == Document.Status.DRAFT


@pytest.mark.parametrize("model", [StockLevel, StockMovement])
def test_balances_and_movements_cannot_be_added_changed_or_deleted(
    admin_client, admin_user, stocked, model
):
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = site._registry[model]
    row = model.objects.first()
    opts = model._meta

    assert model_admin.has_view_permission(request, row) is True
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request, row) is False
    assert model_admin.has_delete_permission(request, row) is False
    assert (
        admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code
        == 403
    )
    delete_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[row.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_the_product_page_shows_stock_per_warehouse_and_links_its_movements(admin_client, stocked):
    page = admin_client.get(
        reverse("admin:warehouse_product_change", args=[stocked.pk])
    ).content.decode()

    assert "stan w magazynach" in page.lower()
    assert f"/admin/warehouse/stockmovement/?product__id__exact={stocked.pk}" in page
    assert "Pokaż ruchy tego produktu" in page


def test_the_lists_render_with_their_filters(admin_client, stocked, warehouse, make_document):
    make_document("WZ", warehouse, [(stocked, 1)], approve=True)

    for name in ("document", "product", "stocklevel", "stockmovement", "warehouse"):
        response = admin_client.get(reverse(f"admin:warehouse_{name}_changelist"))
        assert response.status_code == 200, name
    documents = admin_client.get(
        reverse("admin:warehouse_document_changelist"), {"kind__exact": "WZ", "q": "KUB-1"}
    )
    assert [d.kind for d in documents.context["cl"].result_list] == ["WZ"]
