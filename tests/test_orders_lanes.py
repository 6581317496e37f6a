"""The orders read before a write pass takes the rate limiter's lane of the pass that needed
it: a drain's live lane (ahead of a full sync), a full-sync chunk's bulk lane."""

from contextlib import contextmanager

import pytest

from integrations import ratelimit
from integrations.engine import drain, runs
from integrations.models import SyncRun
from integrations.ratelimit import BULK, LIVE
from tests.test_orders_engine import order_requests, order_shop_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def lanes(monkeypatch):
    """The lane of every request slot taken from now on (a spy over the real limiter)."""
    taken = []
    real = ratelimit.limiter_for

    def spy(integration, *, lane=BULK, **options):
        limiter = real(integration, lane=lane, **options)
        slot = limiter.slot

        @contextmanager
        def counted_slot(**kwargs):
            taken.append(lane)
            with slot(**kwargs):
                yield

        limiter.slot = counted_slot
        return limiter

    monkeypatch.setattr(ratelimit, "limiter_for", spy)
    return taken


def place_and_receive(integration, order_shop, rows, product, warehouse, receive_stock):
    receive_stock(warehouse, {product: 10})
    drain.drain(integration.pk)
    order_shop.place_order([(order_shop_product(order_shop, rows, product), 2)])
    receive_stock(warehouse, {product: 1})
    order_shop.reset_counters()


def test_a_drains_orders_read_goes_through_the_live_lane(
    reserving, order_shop, warehouse, receive_stock, lanes
):
    integration, (mug, *_rest), rows = reserving
    place_and_receive(integration, order_shop, rows, mug, warehouse, receive_stock)
    lanes.clear()

    drain.drain(integration.pk)

    assert order_requests(order_shop) >= 1  # the orders were read before the write
    assert order_shop.quantity(rows[mug.pk]) == 9  # 11 - 2
    assert lanes == [LIVE] * order_shop.counters()["total"]


def test_a_full_sync_chunks_orders_read_goes_through_the_bulk_lane(
    reserving, order_shop, warehouse, receive_stock, lanes
):
    integration, (mug, *_rest), rows = reserving
    receive_stock(warehouse, {mug: 10})
    drain.drain(integration.pk)
    order_shop.place_order([(order_shop_product(order_shop, rows, mug), 2)])
    order_shop.set_quantity(rows[mug.pk], 3)  # drift the full sync must find
    order_shop.reset_counters()
    run = runs.start_full_sync(integration, trigger=SyncRun.Trigger.COMMAND)
    lanes.clear()

    for chunk_id in run.chunks.values_list("pk", flat=True):
        runs.sync_chunk(chunk_id)

    assert order_requests(order_shop) >= 1  # the orders were read before the write
    assert lanes == [BULK] * order_shop.counters()["total"]
    # The new reservation marked the link: the chunk left it to the drain that follows.
    drain.drain(integration.pk)
    assert order_shop.quantity(rows[mug.pk]) == 8  # 10 - 2
