"""Shop orders reserve stock: the engine against the simulator, task bodies called directly.

The shop lowers its own quantity when an order is placed; the ledger keeps counting the units
until the order's WZ. The sync must send balance minus open reservations, never the bare
balance, or it puts sold units back on sale (transcripts orders/103-112).
"""

import pytest

from integrations.engine import drain
from integrations.engine.order_apply import issue_order_goods
from integrations.models import OrderFeed, ShopOrder
from tests.fixtures.integrations import shop_writes
from tests.fixtures.orders import open_reservations, read_orders, settle, wanted_in_shop
from warehouse.models import Document, Reservation
from warehouse.selectors import stock_totals

pytestmark = pytest.mark.django_db


def order_requests(handle, resource: str = "orders") -> int:
    counts = handle.counters()["by_request"]
    return sum(n for key, n in counts.items() if key.split()[:2] == ["GET", resource])


def test_a_pz_after_an_order_sends_the_balance_less_the_order_not_the_balance(
    reserving, order_shop, warehouse, receive_stock
):
    integration, (mug, *_rest), rows = reserving
    receive_stock(warehouse, {mug: 10})
    drain.drain(integration.pk)
    order = order_shop.place_order([(order_shop_product(order_shop, rows, mug), 3)])
    assert order_shop.quantity(rows[mug.pk]) == 7  # the shop took the units itself

    receive_stock(warehouse, {mug: 5})
    drain.drain(integration.pk)

    assert stock_totals([mug.pk]) == {mug.pk: 15}
    assert order_shop.quantity(rows[mug.pk]) == 12  # 15 - 3, not 15
    assert open_reservations() == {order["id"]: {mug.pk: 3}}
    shop_order = ShopOrder.objects.get(ps_order_id=order["id"])
    assert (shop_order.reference, shop_order.problem) == (order["reference"], "")


def order_shop_product(handle, rows, product) -> int:
    """The shop's product id behind a linked ledger product's stock row."""
    return next(r["id_product"] for r in handle.stock_rows(ids=[rows[product.pk]]))


def test_the_order_s_goods_issue_closes_the_reservation_and_the_shop_does_not_change(
    reserving, order_shop, warehouse, receive_stock
):
    integration, (mug, *_rest), rows = reserving
    receive_stock(warehouse, {mug: 10})
    drain.drain(integration.pk)
    order = order_shop.place_order([(order_shop_product(order_shop, rows, mug), 4)])
    settle(integration)
    assert order_shop.quantity(rows[mug.pk]) == 6
    order_shop.reset_counters()

    document = issue_order_goods(ShopOrder.objects.get(ps_order_id=order["id"]))
    settle(integration)

    assert (document.kind, document.status) == (Document.Kind.WZ, Document.Status.APPROVED)
    assert stock_totals([mug.pk]) == {mug.pk: 6}
    assert open_reservations() == {}
    assert order_shop.quantity(rows[mug.pk]) == 6
    assert shop_writes(order_shop) == 0


def test_a_cancelled_order_releases_its_units_and_the_shop_goes_up(
    reserving, order_shop, warehouse, receive_stock
):
    integration, (mug, *_rest), rows = reserving
    receive_stock(warehouse, {mug: 10})
    order = order_shop.place_order([(order_shop_product(order_shop, rows, mug), 4)])
    settle(integration)
    assert order_shop.quantity(rows[mug.pk]) == 6

    order_shop.clock.tick()
    order_shop.cancel_order(order["id"])
    settle(integration)

    assert open_reservations() == {}
    assert Reservation.objects.get().status == Reservation.Status.RELEASED
    assert order_shop.quantity(rows[mug.pk]) == 10
    assert wanted_in_shop(integration, [mug]) == {mug.pk: 10}


def test_two_shops_fed_by_one_warehouse_an_order_in_one_lowers_the_other(
    simulator_factory, make_integration, make_product, link_shop, warehouse, receive_stock,
    settings,
):  # fmt: skip
    from tests.fixtures.orders import ShopClock

    settings.INVSYNC_ORDERS_MAX_AGE = 0
    shops = [simulator_factory(read_orders=True, json_ints=True) for _ in range(2)]
    for handle in shops:
        handle.store.orders.clock = ShopClock()
    mug = make_product("MUG")
    pairs = []
    for handle in shops:
        integration = make_integration(handle, reserve_orders=True, warehouses=[warehouse])
        pairs.append((integration, link_shop(handle, integration, [mug])[mug.pk]))
        read_orders(integration)
    receive_stock(warehouse, {mug: 10})
    for integration, _row in pairs:
        drain.drain(integration.pk)

    first = shops[0]
    first.place_order([(order_shop_product(first, {mug.pk: pairs[0][1]}, mug), 4)])
    read_orders(pairs[0][0])  # the order is seen by the shop it was placed in
    drain.drain(pairs[1][0].pk)

    assert [handle.quantity(row) for handle, (_i, row) in zip(shops, pairs, strict=True)] == [6, 6]


def test_an_order_read_twice_reserves_once(reserving, order_shop, warehouse, receive_stock):
    integration, (mug, cup, _tea), rows = reserving
    receive_stock(warehouse, {mug: 10, cup: 10})
    lines = [
        (order_shop_product(order_shop, rows, mug), 2),
        (order_shop_product(order_shop, rows, cup), 1),
    ]
    order = order_shop.place_order(lines)
    for _ in range(3):
        read_orders(integration)
    feed = OrderFeed.objects.get()
    feed.cursor = ""  # as if the cursor were lost: every order is read again
    feed.save()
    read_orders(integration)

    assert open_reservations() == {order["id"]: {mug.pk: 2, cup.pk: 1}}
    assert (Reservation.objects.count(), ShopOrder.objects.count()) == (1, 1)


def test_an_unchanged_order_costs_one_list_read_and_no_lines_read(
    reserving, order_shop, warehouse, receive_stock
):
    integration, (mug, *_rest), rows = reserving
    order_shop.place_order([(order_shop_product(order_shop, rows, mug), 2)])
    read_orders(integration)
    order_shop.reset_counters()

    read_orders(integration)
    read_orders(integration)

    assert (order_requests(order_shop), order_requests(order_shop, "order_details")) == (2, 0)


def test_lines_added_and_removed_after_the_order_follow_into_the_reservation(
    reserving, order_shop, warehouse, receive_stock
):
    integration, (mug, cup, tea), rows = reserving
    receive_stock(warehouse, {mug: 10, cup: 10, tea: 10})
    ids = {p.pk: order_shop_product(order_shop, rows, p) for p in (mug, cup, tea)}
    order = order_shop.place_order([(ids[mug.pk], 2), (ids[cup.pk], 1)])
    settle(integration)
    order_shop.clock.tick()
    added = order_shop.add_order_line(order["id"], (ids[tea.pk], 3))
    settle(integration)
    assert open_reservations() == {order["id"]: {mug.pk: 2, cup.pk: 1, tea.pk: 3}}

    order_shop.clock.tick()
    order_shop.remove_order_line(order["id"], added["id_order_detail"])
    cup_line = next(
        line["id_order_detail"]
        for line in order_shop.orders([order["id"]])[0]["lines"]
        if line["id_product"] == ids[cup.pk]
    )
    order_shop.remove_order_line(order["id"], cup_line)  # the same second: seen all the same
    settle(integration)

    assert open_reservations() == {order["id"]: {mug.pk: 2}}
    assert [order_shop.quantity(rows[p.pk]) for p in (mug, cup, tea)] == [8, 10, 10]


def test_a_state_going_back_neither_loses_nor_double_counts(
    reserving, order_shop, warehouse, receive_stock
):
    integration, (mug, *_rest), rows = reserving
    integration.issue_on_shipped = True
    integration.save()
    receive_stock(warehouse, {mug: 10})
    shop_mug = order_shop_product(order_shop, rows, mug)
    shipped = order_shop.place_order([(shop_mug, 2)])
    cancelled = order_shop.place_order([(shop_mug, 3)])
    settle(integration)
    order_shop.clock.tick()
    order_shop.ship_order(shipped["id"])
    order_shop.cancel_order(cancelled["id"])
    settle(integration)
    assert (stock_totals([mug.pk]), open_reservations()) == ({mug.pk: 8}, {})

    order_shop.clock.tick()
    order_shop.set_order_state(shipped["id"], 3)  # back to "Processing in progress"
    order_shop.set_order_state(cancelled["id"], 10)  # back to "Awaiting bank wire payment"
    settle(integration)

    # The shipped order's WZ stands (its units left); the cancelled order holds again.
    assert Document.objects.filter(kind=Document.Kind.WZ).count() == 1
    assert stock_totals([mug.pk]) == {mug.pk: 8}
    assert open_reservations() == {cancelled["id"]: {mug.pk: 3}}
    assert order_shop.quantity(rows[mug.pk]) == 5 == wanted_in_shop(integration, [mug])[mug.pk]


def test_an_order_of_an_unlinked_product_is_reported_and_reserved_once_linked(
    reserving, order_shop, warehouse, receive_stock, make_product, make_links
):
    from tests.fixtures.integrations import add_shop_products

    integration, (mug, *_rest), rows = reserving
    stray = make_product("STRAY")
    shop_stray, stray_row = add_shop_products(order_shop, ["STRAY"], quantity=5)["STRAY"]
    receive_stock(warehouse, {mug: 10, stray: 5})
    shop_mug = order_shop_product(order_shop, rows, mug)
    order = order_shop.place_order([(shop_mug, 1), (shop_stray, 2)])
    settle(integration)

    shop_order = ShopOrder.objects.get(ps_order_id=order["id"])
    assert f"{shop_stray}/0: 2" in shop_order.problem
    assert open_reservations() == {order["id"]: {mug.pk: 1}}

    make_links(integration, [(stray, shop_stray)], dirty=True)
    settle(integration)

    assert open_reservations() == {order["id"]: {mug.pk: 1, stray.pk: 2}}
    assert ShopOrder.objects.get(ps_order_id=order["id"]).problem == ""
    assert order_shop.quantity(stray_row) == 3
