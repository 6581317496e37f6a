"""Entering documents in the admin: kinds named as operators know them, IN/OUT reasons, MM
transfers, and PrestaShop's limit refused with a clear message, never a 500."""

import pytest
from django.urls import reverse

from tests.test_warehouse_admin import action_url, messages_of
from warehouse.bounds import MAX_QUANTITY
from warehouse.models import Document, StockLevel

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases, pytest.mark.usefixtures("polish")]

ADD = "admin:warehouse_document_add"


def new_document(product, *, quantity="1", **header) -> dict:
    """The add form's POST: header fields and one line."""
    return {
        "kind": "PZ",
        "warehouse": "",
        "target_warehouse": "",
        "reason": "",
        "note": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-quantity": quantity,
        **{key: str(value) for key, value in header.items()},
    }


def form_errors(response) -> dict:
    """Header errors by field, and the line errors under "lines"."""
    errors = {
        field: list(messages)
        for field, messages in response.context["adminform"].form.errors.items()
    }
    lines = response.context["inline_admin_formsets"][0].formset.errors
    return {
        **errors,
        "lines": [message for form in lines for field in form.values() for message in field],
    }


def test_the_kinds_and_reasons_are_named_as_polish_operators_know_them(admin_client):
    page = admin_client.get(reverse(ADD)).content.decode()

    for label in (
        "PZ przyjęcie zewnętrzne",
        "WZ wydanie zewnętrzne",
        "IN (PW) przyjęcie wewnętrzne",
        "OUT (RW) rozchód wewnętrzny",
        "MM przesunięcie międzymagazynowe",
        "INW inwentaryzacja",
        "nadwyżka",
        "uszkodzenie",
        "likwidacja",
        "zużycie własne",
        "inne",
        "Magazyn docelowy",
        "Przyczyna",
    ):
        assert label in page, label


def test_an_issue_needs_its_reason_and_gets_it(admin_client, make_product, warehouse):
    product = make_product()

    refused = admin_client.post(
        reverse(ADD), new_document(product, kind="OUT", warehouse=warehouse.pk)
    )
    accepted = admin_client.post(
        reverse(ADD), new_document(product, kind="OUT", warehouse=warehouse.pk, reason="damage")
    )

    assert form_errors(refused)["reason"] == ["Wybierz przyczynę dokumentu IN (PW) lub OUT (RW)."]
    assert accepted.status_code == 302
    assert list(Document.objects.values_list("kind", "reason")) == [("OUT", "damage")]


def test_a_reason_that_does_not_fit_the_kind_is_refused(admin_client, make_product, warehouse):
    product = make_product()

    response = admin_client.post(
        reverse(ADD), new_document(product, kind="IN", warehouse=warehouse.pk, reason="damage")
    )

    assert form_errors(response)["reason"] == ["Ta przyczyna nie pasuje do dokumentu tego rodzaju."]
    assert Document.objects.count() == 0


def test_a_transfer_is_entered_with_its_target_and_approved_into_it(
    admin_client, make_product, make_warehouse, receive_stock
):
    source, target = make_warehouse("MAG"), make_warehouse("SKL")
    product = make_product()
    receive_stock(source, {product: 5})

    same = admin_client.post(
        reverse(ADD),
        new_document(product, kind="MM", warehouse=source.pk, target_warehouse=source.pk),
    )
    missing = admin_client.post(reverse(ADD), new_document(product, kind="MM", warehouse=source.pk))
    created = admin_client.post(
        reverse(ADD),
        new_document(
            product, quantity="2", kind="MM", warehouse=source.pk, target_warehouse=target.pk
        ),
    )

    assert form_errors(same)["target_warehouse"] == [
        "Przesunięcie MM musi trafić do innego magazynu niż ten, z którego towar wychodzi."
    ]
    assert form_errors(missing)["target_warehouse"] == [
        "Przesunięcie MM wymaga magazynu docelowego."
    ]
    assert created.status_code == 302
    transfer = Document.objects.get(kind="MM")
    admin_client.post(action_url(transfer, "approve"))
    quantities = dict(StockLevel.objects.values_list("warehouse__code", "quantity"))
    assert quantities == {"MAG": 3, "SKL": 2}


@pytest.mark.parametrize("quantity", [str(2**31), str(10**12), "-1"])
def test_a_line_outside_the_limit_is_a_form_error(admin_client, make_product, warehouse, quantity):
    product = make_product()

    response = admin_client.post(
        reverse(ADD), new_document(product, quantity=quantity, warehouse=warehouse.pk)
    )

    assert response.status_code == 200
    assert form_errors(response)["lines"] == [
        "Ilość nie może być ujemna."
        if quantity == "-1"
        else "Podaj najwyżej 2 147 483 647: większego stanu nie da się przesłać do PrestaShop."
    ]
    assert Document.objects.count() == 0


def test_approving_past_the_limit_in_the_admin_is_a_message_not_a_500(
    admin_client, make_product, warehouse, receive_stock, make_document
):
    product = make_product("KUB-1")
    receive_stock(warehouse, {product: MAX_QUANTITY})
    receipt = make_document("PZ", warehouse, [(product, 1)])

    response = admin_client.post(action_url(receipt, "approve"), follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [
        "Stan w magazynie MAG przekroczyłby limit 2\xa0147\xa0483\xa0647: "
        "KUB-1: jest 2147483647, przybywa 1, ponad limit o 1."
    ]
    receipt.refresh_from_db()
    assert receipt.status == Document.Status.DRAFT
    assert StockLevel.objects.get(product=product).quantity == MAX_QUANTITY
