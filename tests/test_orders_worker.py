"""Shop orders reserve stock, through a real Celery worker, Redis and the simulator over HTTP.

The worker reads orders before every write pass (INVSYNC_ORDERS_MAX_AGE=0 in its
environment) and on the periodic drain; the drains come from the commits, as in production.
"""

import pytest

from integrations import tasks
from integrations.engine.order_apply import issue_order_goods
from integrations.models import ProductLink, ShopOrder, SyncLogEntry
from tests.fixtures.integrations import shop_writes
from tests.fixtures.orders import ShopClock, open_reservations, read_orders
from warehouse.models import Reservation
from warehouse.selectors import stock_totals

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(request, monkeypatch):
    """The Celery worker, started with orders read before every write pass."""
    monkeypatch.setenv("INVSYNC_ORDERS_MAX_AGE", "0")
    return request.getfixturevalue("celery_worker_process")


def shop_product(handle, row_id: int) -> int:
    return handle.stock_rows(ids=[row_id])[0]["id_product"]


def settled(integration) -> bool:
    return not ProductLink.objects.filter(integration=integration, dirty=True).exists()


@pytest.fixture
def mug_shop(worker, order_shop, make_integration, make_product, link_shop, warehouse):
    """(integration, mug, its shop row): reservations on, the first orders read done."""
    integration = make_integration(order_shop, reserve_orders=True, warehouses=[warehouse])
    mug = make_product("MUG")
    row = link_shop(order_shop, integration, [mug])[mug.pk]
    read_orders(integration)
    return integration, mug, row


def test_an_order_then_a_pz_the_wz_and_a_cancellation_each_leave_the_shop_right(
    worker, mug_shop, order_shop, warehouse, receive_stock
):
    integration, mug, row = mug_shop
    receive_stock(warehouse, {mug: 10})
    worker.wait_for(lambda: order_shop.quantity(row) == 10)
    order = order_shop.place_order([(shop_product(order_shop, row), 3)])
    assert order_shop.quantity(row) == 7

    receive_stock(warehouse, {mug: 5})  # the drain reads the order before it writes

    worker.wait_for(lambda: open_reservations() == {order["id"]: {mug.pk: 3}})
    worker.wait_for(lambda: order_shop.quantity(row) == 12 and settled(integration))
    written = SyncLogEntry.objects.filter(link__product=mug).values_list(
        "quantity_written", flat=True
    )
    assert 15 not in set(written)  # the sold units were never put back on sale

    order_shop.reset_counters()
    issue_order_goods(ShopOrder.objects.get(ps_order_id=order["id"]))
    worker.wait_for(lambda: settled(integration) and stock_totals([mug.pk]) == {mug.pk: 12})
    assert (order_shop.quantity(row), shop_writes(order_shop)) == (12, 0)
    assert Reservation.objects.get(order_id=order["id"]).status == Reservation.Status.ISSUED

    second = order_shop.place_order([(shop_product(order_shop, row), 2)])
    tasks.drain_all_task.delay()  # the periodic drain reads the orders
    worker.wait_for(lambda: second["id"] in open_reservations())
    order_shop.clock.tick()
    order_shop.cancel_order(second["id"])
    tasks.drain_all_task.delay()
    worker.wait_for(lambda: open_reservations() == {})
    worker.wait_for(lambda: settled(integration))
    assert order_shop.quantity(row) == 12


def test_a_refund_before_shipping_releases_and_the_sync_puts_the_units_back_on_sale(
    worker, mug_shop, order_shop, warehouse, receive_stock
):
    integration, mug, row = mug_shop
    receive_stock(warehouse, {mug: 6})
    worker.wait_for(lambda: order_shop.quantity(row) == 6)
    order = order_shop.place_order([(shop_product(order_shop, row), 2)])
    tasks.drain_all_task.delay()
    worker.wait_for(lambda: order["id"] in open_reservations())
    order_shop.clock.tick()
    order_shop.refund_order(order["id"])  # the shop itself gives nothing back on a refund
    assert order_shop.quantity(row) == 4

    tasks.drain_all_task.delay()

    worker.wait_for(lambda: order_shop.quantity(row) == 6 and settled(integration))
    assert open_reservations() == {}


def test_two_shops_fed_by_one_warehouse_an_order_in_one_lowers_the_other(
    worker, simulator_factory, make_integration, make_product, link_shop, warehouse,
    receive_stock,
):  # fmt: skip
    mug = make_product("MUG")
    shops, rows = [], []
    for _ in range(2):
        handle = simulator_factory(read_orders=True, json_ints=True)
        handle.clock = handle.store.orders.clock = ShopClock()
        integration = make_integration(handle, reserve_orders=True, warehouses=[warehouse])
        rows.append(link_shop(handle, integration, [mug])[mug.pk])
        shops.append(handle)
        read_orders(integration)
    receive_stock(warehouse, {mug: 10})
    worker.wait_for(lambda: [s.quantity(r) for s, r in zip(shops, rows, strict=True)] == [10, 10])

    shops[0].place_order([(shop_product(shops[0], rows[0]), 4)])
    tasks.drain_all_task.delay()

    worker.wait_for(lambda: shops[1].quantity(rows[1]) == 6)
    assert shops[0].quantity(rows[0]) == 6
