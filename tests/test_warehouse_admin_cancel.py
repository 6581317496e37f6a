"""Cancelling in the admin goes through a confirmation page: GET shows what cancelling does,
only a POST carrying the confirmation cancels, and without the permission it is a 403."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tests.test_warehouse_admin import action_url, change_url, messages_of
from warehouse import admin_cancel, services
from warehouse.models import Document, StockLevel, StockMovement
from warehouse.signals import stock_followers

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases, pytest.mark.usefixtures("polish")]

CHANGELIST = "admin:warehouse_document_changelist"


def confirmation(*documents) -> dict:
    """What the page's form posts: the confirmation and the documents it showed."""
    return {"confirm": "yes", "document": [document.pk for document in documents]}


def balance(product, warehouse) -> int:
    return StockLevel.objects.get(product=product, warehouse=warehouse).quantity


@pytest.fixture
def issued(make_product, warehouse, receive_stock, make_document):
    """KUB-1: 5 received, 2 issued by an approved WZ (3 left); returns (product, the WZ)."""
    product = make_product("KUB-1", name="Kubek")
    receive_stock(warehouse, {product: 5})
    return product, make_document("WZ", warehouse, [(product, 2)], approve=True)


@pytest.fixture
def shops_follow():
    """A stock_followers receiver naming two shops, as integrations answers."""

    def answer(sender, *, product_ids, warehouse_ids, **kwargs):
        return ["Sklep B", "Sklep A"]

    stock_followers.connect(answer, weak=False, dispatch_uid="test-followers")
    yield
    stock_followers.disconnect(dispatch_uid="test-followers")


def test_the_confirmation_page_shows_the_document_and_each_balance_before_and_after(
    admin_client, issued, warehouse, shops_follow
):
    product, issue = issued
    movements = StockMovement.objects.count()

    response = admin_client.get(action_url(issue, "cancel"))

    page = response.content.decode()
    assert response.status_code == 200
    assert issue.number in page
    assert "WZ wydanie zewnętrzne" in page
    rows = [
        (r["sku"], r["warehouse"], r["before"], r["change"], r["after"])
        for r in response.context["page"]
    ]
    assert rows == [("KUB-1", "MAG", 3, 2, 5)]
    assert "<td>KUB-1 Kubek</td>" in page
    assert "3 → 5" in page
    assert "Te sklepy otrzymają nowe stany w ciągu kilku sekund: Sklep A, Sklep B." in page
    assert 'value="Anuluj dokument"' in page
    assert 'name="confirm" value="yes"' in page
    # Looking changes nothing.
    issue.refresh_from_db()
    assert issue.status == Document.Status.APPROVED
    assert (balance(product, warehouse), StockMovement.objects.count()) == (3, movements)


def test_without_a_receiver_the_page_names_the_warehouses_the_shops_follow(admin_client, issued):
    from integrations.receivers import name_followers

    _product, issue = issued
    stock_followers.disconnect(dispatch_uid="integrations.name_followers")
    try:
        page = admin_client.get(action_url(issue, "cancel")).content.decode()
    finally:
        stock_followers.connect(name_followers, dispatch_uid="integrations.name_followers")

    assert "Sklepy zasilane z magazynów MAG dostosują się" in page


def test_the_integrations_name_the_shops_that_sell_the_products(
    admin_client, issued, make_integration, make_links
):
    product, issue = issued
    make_links(make_integration(name="Sklep główny"), [(product, 41)])
    make_integration(name="Sklep bez tego produktu")

    page = admin_client.get(action_url(issue, "cancel")).content.decode()

    assert "Te sklepy otrzymają nowe stany w ciągu kilku sekund: Sklep główny." in page


def test_with_no_shop_selling_the_products_the_page_says_none_follows(admin_client, issued):
    _product, issue = issued

    page = admin_client.get(action_url(issue, "cancel")).content.decode()

    assert "żaden sklep nie musi" in page


def test_only_a_post_with_the_confirmation_cancels(admin_client, admin_user, issued, warehouse):
    product, issue = issued

    unconfirmed = admin_client.post(action_url(issue, "cancel"))

    assert unconfirmed.status_code == 200  # the page again, nothing cancelled
    issue.refresh_from_db()
    assert issue.status == Document.Status.APPROVED

    response = admin_client.post(action_url(issue, "cancel"), confirmation(issue), follow=True)

    issue.refresh_from_db()
    assert (issue.status, issue.cancelled_by) == (Document.Status.CANCELLED, admin_user)
    assert balance(product, warehouse) == 5
    assert response.redirect_chain == [(change_url(issue), 302)]
    assert messages_of(response) == [f"Dokument {issue.number} został anulowany."]


def test_a_user_without_the_permission_gets_403_and_nothing_changes(client, issued, warehouse):
    product, issue = issued
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(codename__in=["view_document", "change_document"])
    )
    client.force_login(clerk)

    assert client.get(action_url(issue, "cancel")).status_code == 403
    assert client.post(action_url(issue, "cancel"), confirmation(issue)).status_code == 403
    assert "Anuluj dokument" not in client.get(change_url(issue)).content.decode()
    issue.refresh_from_db()
    assert issue.status == Document.Status.APPROVED
    assert balance(product, warehouse) == 3


def test_a_cancellation_that_would_go_negative_is_announced_and_then_refused(
    admin_client, make_product, warehouse, receive_stock, make_document
):
    product = make_product("KUB-1")
    receipt = receive_stock(warehouse, {product: 4})
    make_document("WZ", warehouse, [(product, 3)], approve=True)

    page = admin_client.get(action_url(receipt, "cancel")).content.decode()

    assert "1 stan spadłby poniżej 0 lub przekroczyłby limit" in page
    assert '<tr class="refused">' in page
    assert "1 → -3" in page

    response = admin_client.post(action_url(receipt, "cancel"), confirmation(receipt), follow=True)

    assert messages_of(response) == [
        f"{receipt.number}: Za mało towaru w magazynie MAG: "
        "KUB-1: dostępne 1, potrzebne 4, brakuje 3."
    ]
    receipt.refresh_from_db()
    assert receipt.status == Document.Status.APPROVED
    assert balance(product, warehouse) == 1


def test_the_bulk_action_goes_through_the_same_confirmation_page(
    admin_client, issued, warehouse, make_document
):
    product, first = issued
    second = make_document("WZ", warehouse, [(product, 1)], approve=True)
    draft = make_document("PZ", warehouse, [(product, 1)])

    chosen = admin_client.post(
        reverse(CHANGELIST),
        {"action": "cancel_selected", "_selected_action": [first.pk, second.pk, draft.pk]},
    )

    assert chosen.status_code == 302
    assert Document.objects.filter(status="cancelled").count() == 0
    shown = admin_client.get(chosen.url)
    rows = [(r["sku"], r["before"], r["after"]) for r in shown.context["page"]]
    assert rows == [("KUB-1", 2, 5)]  # both issues reversed together
    page = shown.content.decode()
    assert shown.context["documents"] == [first, second]
    assert f"Niezatwierdzone, więc nie ma czego anulować: {draft.number} (szkic)" in page
    assert 'value="Anuluj dokumenty"' in page

    response = admin_client.post(chosen.url, confirmation(first, second), follow=True)

    statuses = dict(Document.objects.values_list("pk", "status"))
    assert [statuses[d.pk] for d in (first, second, draft)] == ["cancelled", "cancelled", "draft"]
    assert balance(product, warehouse) == 5
    assert response.redirect_chain[-1][0] == reverse(CHANGELIST)
    assert messages_of(response) == ["Anulowano 2 dokumenty."]


def test_a_document_approved_after_the_page_was_shown_is_not_cancelled_unseen(
    admin_client, issued, warehouse, make_document
):
    product, issue = issued
    draft = make_document("PZ", warehouse, [(product, 4)])
    url = admin_cancel.selection_url([issue, draft])
    shown = admin_client.get(url)
    services.approve(draft, user=None)  # by someone else, after the page was shown

    admin_client.post(url, confirmation(*shown.context["documents"]))

    statuses = dict(Document.objects.values_list("pk", "status"))
    assert (statuses[issue.pk], statuses[draft.pk]) == ("cancelled", "approved")
    assert balance(product, warehouse) == 9


def test_a_transfer_shows_both_warehouses(
    admin_client, make_product, make_warehouse, receive_stock, make_document
):
    source, target = make_warehouse("MAG"), make_warehouse("SKL")
    product = make_product("KUB-1")
    receive_stock(source, {product: 5})
    transfer = make_document("MM", source, [(product, 2)], target_warehouse=target, approve=True)

    response = admin_client.get(action_url(transfer, "cancel"))

    rows = [(r["warehouse"], r["before"], r["after"]) for r in response.context["page"]]
    assert rows == [("MAG", 3, 5), ("SKL", 2, 0)]
    page = response.content.decode()
    assert "MM przesunięcie międzymagazynowe" in page
    assert "MAG → SKL" in page
