"""PrestaShop's stock limit, 2,147,483,647: refused by the services (nothing written) and,
as a last guard, by the database's check constraints, on SQLite as on PostgreSQL."""

import pytest
from django.db import DataError, IntegrityError, transaction

from tests.test_ledger_refusals import ledger_state
from warehouse import services
from warehouse.bounds import MAX_QUANTITY
from warehouse.exceptions import InvalidDocument, StockLimitExceeded
from warehouse.models import Document, DocumentLine, StockLevel, StockMovement

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.both_databases,
    pytest.mark.usefixtures("english"),
]


@pytest.fixture
def product(make_product):
    return make_product("A-1")


@pytest.mark.parametrize("kind", ["PZ", "IN", "WZ", "OUT", "MM", "INW"])
@pytest.mark.parametrize("quantity", [2**31, 10**12])
def test_a_line_above_the_limit_is_refused_at_creation_and_writes_nothing(
    product, make_warehouse, kind, quantity
):
    source, target = make_warehouse(), make_warehouse()
    before = ledger_state()

    with pytest.raises(InvalidDocument) as refusal:
        services.create_document(
            kind, source, [(product, quantity)], target_warehouse=target if kind == "MM" else None
        )

    assert refusal.value.problems == [
        f"Product A-1: the quantity {quantity} is above the limit of 2,147,483,647."
    ]
    assert ledger_state() == before


def test_a_line_at_the_limit_is_booked(product, warehouse, make_document):
    make_document("PZ", warehouse, [(product, MAX_QUANTITY)], approve=True)

    assert StockLevel.objects.get(product=product).quantity == MAX_QUANTITY


@pytest.mark.parametrize("kind", ["PZ", "IN"])
def test_a_receipt_that_would_pass_the_limit_is_refused_like_one_going_negative(
    product, make_product, warehouse, receive_stock, make_document, admin_user, kind
):
    fine = make_product("B-2")
    receive_stock(warehouse, {product: MAX_QUANTITY - 5, fine: 1})
    document = make_document(kind, warehouse, [(fine, 1), (product, 6)])
    before = ledger_state()

    with pytest.raises(StockLimitExceeded) as refusal:
        services.approve(document, user=admin_user)

    assert [
        (line.sku, line.available, line.adding, line.excess) for line in refusal.value.lines
    ] == [("A-1", MAX_QUANTITY - 5, 6, 1)]
    assert str(refusal.value) == (
        "Stock in warehouse MAG would exceed the limit of 2,147,483,647: "
        "A-1: in stock 2147483642, adding 6, over the limit by 1."
    )
    assert ledger_state() == before
    document.refresh_from_db()
    assert document.status == Document.Status.DRAFT


def test_cancelling_an_issue_that_would_pass_the_limit_is_refused(
    product, warehouse, receive_stock, make_document, admin_user
):
    receive_stock(warehouse, {product: 10})
    issue = make_document("WZ", warehouse, [(product, 10)], approve=True)
    receive_stock(warehouse, {product: MAX_QUANTITY})
    before = ledger_state()

    with pytest.raises(StockLimitExceeded, match="over the limit by 10"):
        services.cancel(issue, user=admin_user)

    assert ledger_state() == before


def test_cancelling_a_count_that_lowered_the_stock_cannot_pass_the_limit(
    product, warehouse, receive_stock, make_document, admin_user
):
    receive_stock(warehouse, {product: 100})
    count = make_document("INW", warehouse, [(product, 0)], approve=True)
    receive_stock(warehouse, {product: MAX_QUANTITY - 50})
    before = ledger_state()

    with pytest.raises(StockLimitExceeded):
        services.cancel(count, user=admin_user)

    assert ledger_state() == before


def test_a_count_at_the_limit_is_booked(product, warehouse, make_document):
    make_document("INW", warehouse, [(product, MAX_QUANTITY)], approve=True)

    assert StockLevel.objects.get(product=product).quantity == MAX_QUANTITY


@pytest.mark.parametrize(
    ("model", "values"),
    [
        pytest.param(StockLevel, {"quantity": MAX_QUANTITY + 1}, id="balance-over"),
        pytest.param(DocumentLine, {"quantity": MAX_QUANTITY + 1}, id="line-over"),
        pytest.param(DocumentLine, {"quantity": -1}, id="line-negative"),
        pytest.param(StockMovement, {"delta": MAX_QUANTITY + 1}, id="movement-over"),
        pytest.param(StockMovement, {"delta": -MAX_QUANTITY - 1}, id="movement-under"),
    ],
)
def test_the_database_refuses_quantities_outside_the_limit(
    product, warehouse, receive_stock, model, values
):
    receipt = receive_stock(warehouse, {product: 1})
    row = model.objects.filter(product=product).first()

    # PostgreSQL's int4 columns refuse a value past 2**31 - 1 themselves (DataError); the check
    # constraints refuse the rest, and everything on SQLite, whose integers are 64-bit.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**values)

    assert receipt.status == Document.Status.APPROVED


def test_the_database_refuses_a_transfer_without_a_target_or_to_its_own_warehouse(
    product, warehouse, make_warehouse, make_document
):
    other = make_warehouse()
    transfer = make_document("MM", warehouse, [(product, 1)], target_warehouse=other)
    receipt = make_document("PZ", warehouse, [(product, 1)])

    for document, values in [
        (transfer, {"target_warehouse": None}),
        (transfer, {"target_warehouse": warehouse}),
        (receipt, {"target_warehouse": other}),
        (receipt, {"reason": Document.Reason.DAMAGE}),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Document.objects.filter(pk=document.pk).update(**values)

    assert Document.objects.get(pk=transfer.pk).target_warehouse == other
