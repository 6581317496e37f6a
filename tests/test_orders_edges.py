"""Shop orders, the edges: orders from before linking and their import, state ids and roles
per shop, refunds, a key that may not read orders, one orders read per interval, and the
cursor across the end of summer time."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from integrations.engine import drain, order_states, orders, runs
from integrations.models import Integration, OrderFeed, ShopOrder, ShopOrderState, SyncRun
from tests.fixtures.integrations import shop_writes
from tests.fixtures.orders import ShopClock, open_reservations, read_orders, settle
from warehouse.models import Reservation
from warehouse.selectors import stock_totals

pytestmark = pytest.mark.django_db


def shop_product(handle, row_id: int) -> int:
    return handle.stock_rows(ids=[row_id])[0]["id_product"]


def order_lists(handle) -> int:
    return handle.counters()["by_request"].get("GET orders 200", 0)


@pytest.fixture
def unread(order_shop, make_integration, make_product, link_shop, warehouse, settings):
    """Like `reserving`, but no orders read yet: orders placed now predate the integration."""
    settings.INVSYNC_ORDERS_MAX_AGE = 0
    integration = make_integration(order_shop, reserve_orders=True, warehouses=[warehouse])
    products = [make_product(f"P{n}") for n in range(1, 3)]
    rows = link_shop(order_shop, integration, products)
    return integration, products, rows


def test_orders_from_before_linking_are_not_reserved_until_imported_once(
    unread, order_shop, warehouse, receive_stock, english
):
    integration, (mug, cup), rows = unread
    receive_stock(warehouse, {mug: 10, cup: 10})
    shop_mug, shop_cup = (
        shop_product(order_shop, rows[mug.pk]),
        shop_product(order_shop, rows[cup.pk]),
    )
    waiting = order_shop.place_order([(shop_mug, 2)])
    paid = order_shop.place_order([(shop_cup, 1)])
    gone = order_shop.place_order([(shop_mug, 5)])
    order_shop.cancel_order(gone["id"])
    settle(integration)  # the first read notes where the shop stands
    order_shop.clock.tick()
    order_shop.pay_order(paid["id"])  # changed after linking, placed before it
    settle(integration)
    assert open_reservations() == {}
    assert ShopOrder.objects.get(ps_order_id=paid["id"]).predates_link is True
    assert order_shop.quantity(rows[mug.pk]) == 10  # the ledger's 10: the old order is not ours

    out = io.StringIO()
    call_command("import_open_orders", "--integration", str(integration.pk), stdout=out)
    call_command("import_open_orders", stdout=io.StringIO())
    settle(integration)

    assert "2 open orders of Sklep 1 hold their stock now." in out.getvalue()
    assert open_reservations() == {waiting["id"]: {mug.pk: 2}, paid["id"]: {cup.pk: 1}}
    assert Reservation.objects.count() == 2
    assert [order_shop.quantity(rows[p.pk]) for p in (mug, cup)] == [8, 9]
    assert OrderFeed.objects.get().imported_at is not None


def test_state_ids_and_roles_come_from_the_shop_and_the_operator_s_choice_stays(
    simulator_factory, make_integration, make_product, link_shop, warehouse, receive_stock,
    settings,
):  # fmt: skip
    settings.INVSYNC_ORDERS_MAX_AGE = 0
    states = [
        {"id": 31, "name": "Waiting", "template": "wait"},
        {"id": 32, "name": "Paid", "paid": True, "logable": True, "config": "PS_OS_PAYMENT"},
        {"id": 33, "name": "Sent", "shipped": True, "logable": True, "config": "PS_OS_SHIPPING"},
        {"id": 34, "name": "Void", "config": "PS_OS_CANCELED"},
        {"id": 35, "name": "Money back", "config": "PS_OS_REFUND"},
        {"id": 36, "name": "Failed", "config": "PS_OS_ERROR"},
    ]
    handle = simulator_factory(read_orders=True, order_states=states, initial_order_state=31)
    handle.store.orders.clock = ShopClock()
    integration = make_integration(handle, reserve_orders=True, warehouses=[warehouse])
    mug = make_product("MUG")
    row = link_shop(handle, integration, [mug])[mug.pk]
    read_orders(integration)

    roles = order_states.roles_of(integration)
    assert roles == {
        31: "reserve",
        32: "reserve",
        33: "ship",
        34: "release",
        35: "release",
        36: "release",
    }
    order_states.set_role(ShopOrderState.objects.get(ps_state_id=32), "release")
    order_states.refresh_states(integration, OrderFeed.objects.get(), _client(integration))
    assert order_states.roles_of(integration)[32] == "release"

    receive_stock(warehouse, {mug: 5})
    order = handle.place_order([(shop_product(handle, row), 2)])
    settle(integration)
    assert open_reservations() == {order["id"]: {mug.pk: 2}}
    handle.set_order_state(order["id"], 34)
    settle(integration)
    assert open_reservations() == {}
    assert handle.quantity(row) == 5


def _client(integration):
    from integrations.engine import shop

    return shop.client_for(integration)


def test_a_refund_before_the_goods_issue_releases_and_after_it_is_reported(
    reserving, order_shop, warehouse, receive_stock, english
):
    integration, (mug, *_rest), rows = reserving
    integration.issue_on_shipped = True
    integration.save()
    receive_stock(warehouse, {mug: 10})
    shop_mug = shop_product(order_shop, rows[mug.pk])
    early = order_shop.place_order([(shop_mug, 1)])
    late = order_shop.place_order([(shop_mug, 2)])
    settle(integration)
    order_shop.clock.tick()
    order_shop.refund_order(early["id"])
    order_shop.ship_order(late["id"])
    settle(integration)
    order_shop.clock.tick()
    order_shop.refund_order(late["id"])
    settle(integration)

    assert open_reservations() == {}
    assert stock_totals([mug.pk]) == {mug.pk: 8}  # the late order's WZ stands
    problem = ShopOrder.objects.get(ps_order_id=late["id"]).problem
    assert "cancelled after its goods issue" in problem
    assert ShopOrder.objects.get(ps_order_id=early["id"]).problem == ""


def test_an_automatic_goods_issue_the_ledger_cannot_cover_is_reported_and_holds_on(
    reserving, order_shop, warehouse, receive_stock, english
):
    integration, (mug, *_rest), rows = reserving
    integration.issue_on_shipped = True
    integration.save()
    receive_stock(warehouse, {mug: 1})
    order_shop.set_quantity(rows[mug.pk], 5)  # the shop sells what the ledger lacks
    order = order_shop.place_order([(shop_product(order_shop, rows[mug.pk]), 3)])
    read_orders(integration)
    order_shop.clock.tick()
    order_shop.ship_order(order["id"])
    read_orders(integration)

    shop_order = ShopOrder.objects.get(ps_order_id=order["id"])
    assert "The goods issue was not booked" in shop_order.problem
    assert open_reservations() == {order["id"]: {mug.pk: 3}}
    assert stock_totals([mug.pk]) == {mug.pk: 1}


def test_a_key_that_may_not_read_orders_stops_the_integration_and_writes_nothing(
    shop, make_integration, make_product, link_shop, warehouse, receive_stock, english
):
    integration = make_integration(shop, reserve_orders=True)
    mug = make_product("MUG")
    row = link_shop(shop, integration, [mug])[mug.pk]
    receive_stock(warehouse, {mug: 4})

    with pytest.raises(Exception, match="401") as raised:
        drain.drain(integration.pk)

    integration.refresh_from_db()
    assert type(raised.value).__name__ == "ShopConfigError"
    assert integration.halted_at is not None
    assert OrderFeed.objects.get().last_error
    assert (shop.quantity(row), shop_writes(shop)) == (0, 0)


def test_write_passes_within_the_interval_share_one_orders_read(
    reserving, order_shop, warehouse, receive_stock, settings
):
    integration, products, _rows = reserving
    integration.chunk_size = 1
    integration.save()
    settings.INVSYNC_ORDERS_MAX_AGE = 600
    OrderFeed.objects.update(read_at=datetime.now(UTC) - timedelta(hours=1))
    order_shop.reset_counters()

    receive_stock(warehouse, dict.fromkeys(products, 1))
    drain.drain(integration.pk)
    run = runs.start_full_sync(integration, trigger=SyncRun.Trigger.COMMAND)
    for chunk in run.chunks.all():
        runs.sync_chunk(chunk.pk)

    assert run.chunks.count() == 3
    assert order_lists(order_shop) == 1


def test_the_next_read_starts_a_second_before_the_cursor_and_an_hour_more_after_summer_time(
    monkeypatch,
):
    feed = OrderFeed(cursor="2026-10-25 02:59:30", shop_timezone="Europe/Paris")
    summer = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    winter = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, the hour again
    monkeypatch.setattr(orders.timezone, "now", lambda: summer)
    assert orders.lower_bound(feed) == "2026-10-25 02:59:29"
    monkeypatch.setattr(orders.timezone, "now", lambda: winter)
    assert orders.lower_bound(feed) == "2026-10-25 01:59:29"
    assert orders.lower_bound(OrderFeed(cursor="")) is None
    assert orders.lower_bound(OrderFeed(cursor="2026-10-25 02:59:30")) == "2026-10-25 02:59:29"


def test_new_integrations_reserve_and_issue_goods_by_hand_by_default():
    assert Integration(name="x").reserve_orders is True
    assert Integration._meta.get_field("issue_on_shipped").default is False
