"""An MM transfer reaches the shops: stock_changed names both warehouses, so a shop fed only
by the target warehouse has its links marked in the transfer's transaction and follows with
one write; a shop fed by both sees no change in its total and is written nothing."""

import pytest

from integrations.engine import drain
from integrations.models import ProductLink
from tests.fixtures.integrations import shop_writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(make_warehouse):
    return make_warehouse("MAG"), make_warehouse("SKL")


def test_a_shop_fed_only_by_the_target_warehouse_follows_a_transfer_with_one_write(
    shop, two, make_integration, make_product, link_shop, receive_stock, make_document
):
    source, target = two
    product = make_product("A-1")
    receive_stock(source, {product: 10})
    integration = make_integration(shop, warehouses=[target])
    rows = link_shop(shop, integration, [product])
    shop.reset_counters()

    make_document("MM", source, [(product, 4)], target_warehouse=target, approve=True)

    assert ProductLink.objects.get(integration=integration).dirty is True
    result = drain.drain(integration.pk)
    assert (result.changed, shop_writes(shop)) == (1, 1)
    assert shop.quantity(rows[product.pk]) == 4


def test_a_shop_fed_by_both_warehouses_is_written_nothing(
    shop, two, make_integration, make_product, link_shop, receive_stock, make_document
):
    source, target = two
    product = make_product("A-1")
    receive_stock(source, {product: 10})
    integration = make_integration(shop, warehouses=[source, target])
    rows = link_shop(shop, integration, [product], quantity=10)
    shop.reset_counters()

    make_document("MM", source, [(product, 4)], target_warehouse=target, approve=True)
    result = drain.drain(integration.pk)

    assert (result.changed, shop_writes(shop)) == (0, 0)
    assert shop.quantity(rows[product.pk]) == 10
