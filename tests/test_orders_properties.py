"""Random orders, edits, state changes and documents: once the engine settles, every shop row
holds balance - open reservations, and no reservation stays open for a shipped or cancelled
order (hypothesis, few examples: each runs a simulated shop and the engine)."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.engine.order_apply import issue_order_goods
from integrations.engine.order_states import roles_of
from integrations.models import Integration, ProductLink, ShopOrder
from prestashop_sim import catalogue
from prestashop_sim.testing import run_simulator
from tests.fixtures.orders import open_reservations, read_orders, settle, wanted_in_shop
from warehouse import services
from warehouse.exceptions import LedgerError
from warehouse.models import Product, Reservation, Warehouse

PRODUCTS = 3
ACTIONS = ("pay", "ship", "cancel", "refund", "deliver", "processing", "awaiting")
STATE_OF = {"processing": 3, "awaiting": 10}

units = st.integers(1, 3)
new_order = st.tuples(
    st.just("order"), st.dictionaries(st.integers(0, PRODUCTS - 1), units, min_size=1)
)
add_line = st.tuples(st.just("add"), st.integers(0, 9), st.integers(0, PRODUCTS - 1), units)
remove_line = st.tuples(st.just("remove"), st.integers(0, 9), st.integers(0, 4))
state = st.tuples(st.just("state"), st.integers(0, 9), st.sampled_from(ACTIONS))
receipt = st.tuples(st.just("pz"), st.integers(0, PRODUCTS - 1), units)
goods_issue = st.tuples(st.just("issue"), st.integers(0, 9))
sync = st.tuples(st.just("sync"))
steps = st.lists(
    st.one_of(new_order, add_line, remove_line, state, receipt, goods_issue, sync),
    min_size=1,
    max_size=14,
)


class Scene:
    """One example's shop, ledger and integration."""

    def __init__(self, handle):
        self.shop = handle
        self.warehouse = Warehouse.objects.create(code="PROP", name="Property")
        self.products = [
            Product.objects.create(sku=f"O-{i}", name=f"O {i}") for i in range(PRODUCTS)
        ]
        catalogue.load(handle.store, [{"reference": p.sku, "quantity": 0} for p in self.products])
        items = {i["reference"]: i for i in handle.catalogue() if i["id_product_attribute"] == 0}
        self.shop_ids = [items[p.sku]["id_product"] for p in self.products]
        self.rows = [items[p.sku]["stock_ids"][0] for p in self.products]
        self.integration = Integration.objects.create(
            name="Property shop", shop_url=handle.url, api_key=handle.key, reserve_orders=True,
            issue_on_shipped=True, requests_per_minute=100_000, max_concurrent_requests=4,
        )  # fmt: skip
        self.integration.warehouses.set([self.warehouse])
        ProductLink.objects.bulk_create(
            ProductLink(integration=self.integration, product=p, ps_product_id=sid)
            for p, sid in zip(self.products, self.shop_ids, strict=True)
        )
        self.receive(dict.fromkeys(range(PRODUCTS), 20))
        read_orders(self.integration)
        self.orders: list[int] = []

    def receive(self, quantities: dict[int, int]) -> None:
        lines = [(self.products[i], q) for i, q in quantities.items()]
        document = services.create_document("PZ", self.warehouse, lines)
        services.approve(document, user=None)

    def run(self, step) -> None:
        action, *args = step
        if action == "order":
            lines = [(self.shop_ids[i], q) for i, q in args[0].items()]
            self.orders.append(self.shop.place_order(lines)["id"])
        elif action == "pz":
            self.receive({args[0]: args[1]})
        elif action == "sync":
            settle(self.integration)
        elif self.orders:
            self.on_order(action, self.orders[args[0] % len(self.orders)], args[1:])

    def on_order(self, action, order_id, args) -> None:
        try:
            if action == "add":
                self.shop.add_order_line(order_id, (self.shop_ids[args[0]], args[1]))
            elif action == "remove":
                lines = self.shop.orders([order_id])[0]["lines"]
                if len(lines) > 1:
                    self.shop.remove_order_line(
                        order_id, lines[args[0] % len(lines)]["id_order_detail"]
                    )
            elif action == "state":
                self._move(order_id, args[0])
            else:
                read_orders(self.integration)
                issue_order_goods(ShopOrder.objects.get(ps_order_id=order_id))
        except (ValueError, LedgerError):
            pass  # the shop refuses (a shipped order's lines), or the order holds nothing

    def _move(self, order_id, action) -> None:
        if action in STATE_OF:
            self.shop.set_order_state(order_id, STATE_OF[action])
        else:
            self.shop.set_order_state(order_id, action)

    def check(self) -> None:
        wanted = wanted_in_shop(self.integration, self.products)
        shown = {
            p.pk: self.shop.quantity(row) for p, row in zip(self.products, self.rows, strict=True)
        }
        assert shown == wanted
        roles, held = roles_of(self.integration), open_reservations()
        for order in self.shop.orders(self.orders):
            if roles[order["current_state"]] != "reserve":
                assert order["id"] not in held, order
            elif not _issued(order["id"]):
                assert held.get(order["id"], {}) == self.units_of(order), order

    def units_of(self, order) -> dict[int, int]:
        by_shop_id = dict(zip(self.shop_ids, self.products, strict=True))
        units: dict[int, int] = {}
        for line in order["lines"]:
            product = by_shop_id[line["id_product"]]
            units[product.pk] = units.get(product.pk, 0) + line["quantity"]
        return units


def _issued(order_id: int) -> bool:
    return Reservation.objects.filter(order_id=order_id, status=Reservation.Status.ISSUED).exists()


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_after_the_engine_settles_shops_hold_balance_less_open_reservations(steps):
    # Each example has its own shop and runs in a savepoint rolled back at the end.
    with run_simulator(read_orders=True, json_ints=True) as handle, transaction.atomic():
        scene = Scene(handle)
        for step in steps:
            scene.run(step)
        settle(scene.integration)
        scene.check()
        transaction.set_rollback(True)
