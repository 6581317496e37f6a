"""MM, a transfer between warehouses: out of one and into another in one transaction."""

import pytest

from tests.test_ledger_refusals import ledger_state
from warehouse import services
from warehouse.bounds import MAX_QUANTITY
from warehouse.exceptions import InsufficientStock, InvalidDocument, StockLimitExceeded
from warehouse.models import StockLevel
from warehouse.selectors import ledger_mismatches, stray_movements, unbalanced_transfers

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.both_databases,
    pytest.mark.usefixtures("english"),
]


def balances(*products):
    rows = StockLevel.objects.filter(product__in=products).values_list(
        "product__sku", "warehouse__code", "quantity"
    )
    return {(sku, code): quantity for sku, code, quantity in rows if quantity}


@pytest.fixture
def two(make_warehouse):
    return make_warehouse("MAG"), make_warehouse("SKL")


@pytest.fixture
def stocked(two, make_product, receive_stock):
    """A-1 and B-2 with 10 and 4 in MAG; SKL empty."""
    first, second = make_product("A-1"), make_product("B-2")
    receive_stock(two[0], {first: 10, second: 4})
    return first, second


def test_a_transfer_moves_stock_out_of_one_warehouse_and_into_the_other(
    two, stocked, make_document, admin_user, heard
):
    source, target = two
    first, second = stocked
    transfer = make_document(
        "MM", source, [(first, 3), (second, 4)], target_warehouse=target, user=admin_user
    )

    services.approve(transfer, user=admin_user)

    assert transfer.number.startswith("MM/")
    assert balances(first, second) == {
        ("A-1", "MAG"): 7,
        ("A-1", "SKL"): 3,
        ("B-2", "SKL"): 4,
    }
    assert sorted(transfer.movements.values_list("warehouse__code", "product__sku", "delta")) == [
        ("MAG", "A-1", -3),
        ("MAG", "B-2", -4),
        ("SKL", "A-1", 3),
        ("SKL", "B-2", 4),
    ]
    assert heard == [
        (transfer.number, frozenset({first.pk, second.pk}), frozenset({source.pk, target.pk}))
    ]
    assert (ledger_mismatches(), unbalanced_transfers(), stray_movements()) == ([], [], [])


def test_cancelling_a_transfer_books_the_reverse_in_both_warehouses(
    two, stocked, make_document, admin_user, heard
):
    source, target = two
    first, second = stocked
    transfer = make_document("MM", source, [(first, 3)], target_warehouse=target, approve=True)
    heard.clear()

    services.cancel(transfer, user=admin_user)

    assert balances(first, second) == {("A-1", "MAG"): 10, ("B-2", "MAG"): 4}
    assert transfer.movements.count() == 4
    assert heard == [(transfer.number, frozenset({first.pk}), frozenset({source.pk, target.pk}))]
    assert (ledger_mismatches(), unbalanced_transfers()) == ([], [])


def test_a_transfer_needs_another_target_warehouse(two, stocked):
    source, _target = two
    before = ledger_state()

    with pytest.raises(InvalidDocument, match="must go to another warehouse"):
        services.create_document("MM", source, [(stocked[0], 1)], target_warehouse=source)
    with pytest.raises(InvalidDocument, match="needs a target warehouse"):
        services.create_document("MM", source, [(stocked[0], 1)])
    with pytest.raises(InvalidDocument, match="Only an MM transfer has a target warehouse"):
        services.create_document("PZ", source, [(stocked[0], 1)], target_warehouse=_target)

    assert ledger_state() == before


def test_a_transfer_of_more_than_the_source_holds_is_refused_and_writes_nothing(
    two, stocked, make_document, admin_user, heard
):
    source, target = two
    first, second = stocked
    transfer = make_document("MM", source, [(first, 11), (second, 4)], target_warehouse=target)
    before = ledger_state()

    with pytest.raises(InsufficientStock) as refusal:
        services.approve(transfer, user=admin_user)

    assert str(refusal.value) == (
        "Not enough stock in warehouse MAG: A-1: available 10, needed 11, short by 1."
    )
    assert ledger_state() == before
    assert heard == []


def test_a_transfer_that_would_pass_the_limit_in_the_target_is_refused(
    two, stocked, make_document, receive_stock, admin_user
):
    source, target = two
    first, _second = stocked
    receive_stock(target, {first: MAX_QUANTITY - 2})
    transfer = make_document("MM", source, [(first, 3)], target_warehouse=target)
    before = ledger_state()

    with pytest.raises(StockLimitExceeded, match="warehouse SKL would exceed the limit"):
        services.approve(transfer, user=admin_user)

    assert ledger_state() == before


def test_cancelling_a_transfer_whose_goods_left_the_target_is_refused(
    two, stocked, make_document, admin_user
):
    source, target = two
    first, _second = stocked
    transfer = make_document("MM", source, [(first, 5)], target_warehouse=target, approve=True)
    make_document("WZ", target, [(first, 2)], approve=True)
    before = ledger_state()

    with pytest.raises(InsufficientStock, match="warehouse SKL: A-1: available 3, needed 5"):
        services.cancel(transfer, user=admin_user)

    assert ledger_state() == before


@pytest.mark.parametrize(
    ("kind", "reason", "accepted"),
    [
        ("IN", "surplus", True),
        ("IN", "other", True),
        ("IN", "damage", False),
        ("OUT", "damage", True),
        ("OUT", "disposal", True),
        ("OUT", "own_use", True),
        ("OUT", "surplus", False),
        ("PZ", "other", False),
        ("MM", "damage", False),
    ],
)
def test_reasons_belong_to_internal_receipts_and_issues(two, stocked, kind, reason, accepted):
    source, target = two
    fields = {"reason": reason, "target_warehouse": target if kind == "MM" else None}

    if accepted:
        assert services.create_document(kind, source, [(stocked[0], 1)], **fields).reason == reason
    else:
        with pytest.raises(InvalidDocument, match="reason"):
            services.create_document(kind, source, [(stocked[0], 1)], **fields)
