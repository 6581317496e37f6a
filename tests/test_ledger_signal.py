"""stock_changed: who hears about which balances, and when."""

import pytest

from warehouse import services
from warehouse.exceptions import InsufficientStock
from warehouse.models import Document, StockMovement
from warehouse.signals import stock_changed

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.both_databases,
    pytest.mark.usefixtures("english"),
]


def test_approval_names_the_changed_products_and_warehouse(
    make_product, warehouse, make_document, admin_user, heard
):
    first, second = make_product(), make_product()
    receipt = make_document("PZ", warehouse, [(first, 3), (second, 4)])

    services.approve(receipt, user=admin_user)

    assert heard == [(receipt.number, frozenset({first.pk, second.pk}), frozenset({warehouse.pk}))]


def test_an_inventory_line_equal_to_the_balance_is_left_out(
    make_product, warehouse, receive_stock, make_document, admin_user, heard
):
    same, different = make_product(), make_product()
    receive_stock(warehouse, {same: 5, different: 5})
    heard.clear()

    count = make_document("INW", warehouse, [(same, 5), (different, 1)], approve=True)

    assert heard == [(count.number, frozenset({different.pk}), frozenset({warehouse.pk}))]


def test_an_inventory_count_that_changes_nothing_sends_nothing(
    make_product, warehouse, receive_stock, make_document, heard
):
    product = make_product()
    receive_stock(warehouse, {product: 5})
    heard.clear()

    make_document("INW", warehouse, [(product, 5)], approve=True)

    assert heard == []


def test_cancellation_sends_the_reversed_products(
    make_product, warehouse, make_document, admin_user, heard
):
    product = make_product()
    receipt = make_document("PZ", warehouse, [(product, 3)], approve=True)
    heard.clear()

    services.cancel(receipt, user=admin_user)

    assert heard == [(receipt.number, frozenset({product.pk}), frozenset({warehouse.pk}))]


def test_a_refused_approval_sends_nothing(
    make_product, warehouse, make_document, admin_user, heard
):
    product = make_product()
    issue = make_document("WZ", warehouse, [(product, 1)])

    with pytest.raises(InsufficientStock):
        services.approve(issue, user=admin_user)

    assert heard == []


def test_the_signal_runs_inside_the_transaction_so_a_failing_receiver_undoes_the_approval(
    make_product, warehouse, make_document, admin_user
):
    product = make_product()
    receipt = make_document("PZ", warehouse, [(product, 3)])

    def broken(**kwargs):
        raise RuntimeError("receiver failed")

    stock_changed.connect(broken, weak=False, dispatch_uid="test-broken")
    try:
        with pytest.raises(RuntimeError, match="receiver failed"):
            services.approve(receipt, user=admin_user)
    finally:
        stock_changed.disconnect(dispatch_uid="test-broken")

    receipt.refresh_from_db()
    assert receipt.status == Document.Status.DRAFT
    assert StockMovement.objects.count() == 0
