"""Reservations in the ledger: held beside the balances, issued as a WZ or released, each in one
transaction with its signal; available = balance - open reservations; check_ledger reports
reservations above the balance without failing."""

import io

import pytest
from django.core.management import call_command

from warehouse import reservations
from warehouse.exceptions import InsufficientStock, ReservationStateError
from warehouse.models import Document, Reservation, StockMovement
from warehouse.selectors import available_totals, reserved_totals
from warehouse.signals import reservations_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    """The (product_ids, warehouse_ids) of every reservations_changed sent during the test."""
    seen = []

    def receiver(sender, *, reservation, product_ids, warehouse_ids, **kwargs):
        seen.append((set(product_ids), set(warehouse_ids)))

    reservations_changed.connect(receiver, dispatch_uid="test-announced")
    yield seen
    reservations_changed.disconnect(dispatch_uid="test-announced")


def hold(warehouse, lines, *, order_id=1, channel="integration:1"):
    return reservations.hold(
        channel=channel,
        order_id=order_id,
        warehouse=warehouse,
        lines={product.pk: quantity for product, quantity in lines.items()},
        reference=f"REF{order_id}",
        channel_name="Sklep",
    )


def test_available_is_the_balance_less_what_open_orders_hold(
    warehouse, make_warehouse, make_product, receive_stock
):
    other = make_warehouse()
    mug, cup = make_product("MUG"), make_product("CUP")
    receive_stock(warehouse, {mug: 10, cup: 4})
    receive_stock(other, {mug: 5})
    hold(warehouse, {mug: 3, cup: 4}, order_id=1)
    hold(other, {mug: 1}, order_id=2)

    ids = [mug.pk, cup.pk]
    assert reserved_totals(ids) == {mug.pk: 4, cup.pk: 4}
    assert available_totals(ids) == {mug.pk: 11, cup.pk: 0}
    assert available_totals(ids, warehouse_ids=[warehouse.pk]) == {mug.pk: 7, cup.pk: 0}
    assert available_totals(ids, warehouse_ids=[other.pk]) == {mug.pk: 4}


def test_holding_again_changes_only_what_moved_and_is_idempotent(
    warehouse, make_product, announced
):
    mug, cup = make_product("MUG"), make_product("CUP")
    first = hold(warehouse, {mug: 2})
    hold(warehouse, {mug: 2})
    hold(warehouse, {mug: 2, cup: 1})
    hold(warehouse, {cup: 1})

    assert Reservation.objects.get().pk == first.pk
    assert reserved_totals([mug.pk, cup.pk]) == {cup.pk: 1}
    assert announced == [
        ({mug.pk}, {warehouse.pk}),
        ({cup.pk}, {warehouse.pk}),
        ({mug.pk}, {warehouse.pk}),
    ]


def test_an_order_holding_nothing_creates_no_reservation(warehouse, announced):
    assert hold(warehouse, {}) is None
    assert (Reservation.objects.count(), announced) == (0, [])


def test_release_gives_the_units_back_and_holding_again_reopens(
    warehouse, make_product, receive_stock, announced
):
    mug = make_product("MUG")
    receive_stock(warehouse, {mug: 5})
    reservation = hold(warehouse, {mug: 2})

    assert reservations.release(reservation) is True
    assert reservations.release(reservation) is False
    assert available_totals([mug.pk]) == {mug.pk: 5}
    reopened = hold(warehouse, {mug: 3})
    assert (reopened.pk, reopened.status) == (reservation.pk, Reservation.Status.OPEN)
    assert available_totals([mug.pk]) == {mug.pk: 2}
    assert [products for products, _w in announced] == [{mug.pk}, {mug.pk}, {mug.pk}]


def test_the_goods_issue_books_a_wz_and_closes_the_reservation_in_one_go(
    warehouse, make_product, receive_stock, announced
):
    mug = make_product("MUG")
    receive_stock(warehouse, {mug: 5})
    reservation = hold(warehouse, {mug: 2})

    document = reservations.issue_goods(reservation, user=None)

    assert (document.kind, document.status, document.origin) == ("WZ", "approved", "shop")
    assert "REF1" in document.note
    assert reservation.status == Reservation.Status.ISSUED
    assert Reservation.objects.get().document == document
    # The balance went down by the order, the reservation is gone: available is unchanged.
    assert available_totals([mug.pk]) == {mug.pk: 3}
    assert reserved_totals([mug.pk]) == {}
    with pytest.raises(ReservationStateError):
        reservations.issue_goods(reservation, user=None)
    # Holding an issued order again changes nothing: its units left the warehouse.
    assert hold(warehouse, {mug: 7}).status == Reservation.Status.ISSUED
    assert reserved_totals([mug.pk]) == {}


def test_a_goods_issue_the_balance_cannot_cover_books_nothing_and_keeps_the_reservation(
    warehouse, make_product, receive_stock
):
    mug = make_product("MUG")
    receive_stock(warehouse, {mug: 1})
    reservation = hold(warehouse, {mug: 2})
    movements = StockMovement.objects.count()

    with pytest.raises(InsufficientStock):
        reservations.issue_goods(reservation, user=None)

    assert Reservation.objects.get().status == Reservation.Status.OPEN
    assert StockMovement.objects.count() == movements
    assert not Document.objects.filter(kind=Document.Kind.WZ).exists()


def test_check_ledger_reports_reservations_above_the_balance_without_failing(
    warehouse, make_product, receive_stock, english
):
    mug = make_product("MUG")
    receive_stock(warehouse, {mug: 1})
    hold(warehouse, {mug: 3})
    out = io.StringIO()

    call_command("check_ledger", stdout=out)

    text = out.getvalue()
    assert "MUG @ MAG: open reservations hold 3, the balance is 1" in text
    assert "Ledger OK" in text
