"""Orders in the simulator: what placing, shipping, cancelling, refunding and editing an order
does to the stock rows (quantity shown, physical and reserved hidden), as orders/88-156 show."""

import pytest
import requests

from prestashop_sim.testing import run_simulator_process
from tests.fixtures.sim_requests import get, send

# The section-9 shop: product 7 (row 21) with combinations 31 (row 22, 10) and 32 (row 23, 5),
# simple product 8 (row 24, 0).
ROWS = [21, 22, 23, 24]


@pytest.fixture
def shop(simulator_factory):
    return simulator_factory(section9=True, read_orders=True)


def stock(shop, ids=ROWS) -> dict[int, tuple[int, int, int]]:
    """{row: (quantity, physical, reserved)}."""
    return {
        r["id"]: (r["quantity"], r["physical_quantity"], r["reserved_quantity"])
        for r in shop.hidden_stock(ids)
    }


def patch_quantity(shop, row_id, quantity):
    body = (
        f"<prestashop><stock_available><id>{row_id}</id><quantity>{quantity}</quantity>"
        "</stock_available></prestashop>"
    )
    response = send(shop, "PATCH", f"stock_availables/{row_id}", body)
    assert response.status_code == 200


def test_placing_an_order_takes_quantity_and_reserves_it_with_the_product_row_summed(shop):
    before = stock(shop)
    order = shop.place_order([(7, 31, 2), (8, 1)])

    assert before == {21: (15, 15, 0), 22: (10, 10, 0), 23: (5, 5, 0), 24: (0, 0, 0)}
    assert stock(shop) == {21: (13, 13, 0), 22: (8, 10, 2), 23: (5, 5, 0), 24: (-1, 0, 1)}
    assert shop.quantity(22) == 8
    assert order["current_state"] == 10  # awaiting bank wire
    assert [(line["id_product_attribute"], line["quantity"]) for line in order["lines"]] == [
        (31, 2),
        (0, 1),
    ]


def test_shipping_ends_the_reservation_delivering_changes_nothing_refunding_brings_it_back(shop):
    order = shop.place_order([(7, 31, 2)])
    shipped = shop.ship_order(order["id"])
    after_ship = stock(shop)
    shop.deliver_order(order["id"])
    after_delivery = stock(shop)
    shop.refund_order(order["id"])

    assert (shipped["current_state"], shipped["valid"]) == (4, True)
    assert after_ship == {21: (13, 13, 0), 22: (8, 8, 0), 23: (5, 5, 0), 24: (0, 0, 0)}
    assert after_delivery == after_ship
    assert stock(shop)[22] == (8, 10, 2)
    assert shop.orders([order["id"]])[0]["valid"] is False


def test_cancelling_gives_the_units_back_from_a_paid_or_an_unpaid_order(shop):
    unpaid = shop.place_order([(7, 32, 1)], state=1)
    paid = shop.place_order([(7, 32, 2)], state=2)
    assert stock(shop)[23] == (2, 5, 3)

    shop.cancel_order(unpaid["id"])
    shop.cancel_order(paid["id"])

    assert stock(shop) == {21: (15, 15, 0), 22: (10, 10, 0), 23: (5, 5, 0), 24: (0, 0, 0)}


def test_an_order_placed_cancelled_or_in_error_takes_nothing(shop):
    shop.place_order([(7, 31, 3)], state=6)
    shop.place_order([(7, 31, 3)], state=8)

    assert stock(shop)[22] == (10, 10, 0)


def test_a_webservice_write_of_quantity_touches_neither_physical_nor_reserved(shop):
    order = shop.place_order([(7, 31, 2)])
    patch_quantity(shop, 22, 10)  # an outside system writes the pre-order quantity back
    after_patch = stock(shop)
    shop.ship_order(order["id"])

    assert after_patch == {21: (15, 13, 0), 22: (10, 10, 2), 23: (5, 5, 0), 24: (0, 0, 0)}
    # Shipping never takes the units: the shop now counts the two shipped units as on sale.
    assert stock(shop)[22] == (10, 10, 0)


def test_cancelling_after_a_put_of_the_pre_order_quantity_counts_the_units_twice(shop):
    order = shop.place_order([(7, 31, 2)])
    full = {
        "id": 22,
        "id_product": 7,
        "id_product_attribute": 31,
        "id_shop": 1,
        "id_shop_group": 0,
        "quantity": 10,
        "depends_on_stock": 0,
        "out_of_stock": 2,
        "location": "A-01",
    }
    body = "<prestashop><stock_available>"
    body += "".join(f"<{k}>{v}</{k}>" for k, v in full.items())
    body += "</stock_available></prestashop>"
    put = send(shop, "PUT", "stock_availables/22", body)
    after_put = stock(shop)[22]
    shop.cancel_order(order["id"])

    assert put.status_code == 200
    assert after_put == (10, 10, 2)
    assert stock(shop)[22] == (12, 12, 0)


def test_back_office_line_edits_move_stock_totals_and_date_upd(shop):
    order = shop.place_order([(7, 31, 1), (8, 1)], date="2026-11-30 10:00:00", shipping="0")
    added = shop.add_order_line(order["id"], (7, 32, 2), date="2026-11-30 10:05:00")
    after_add = stock(shop)
    mug = order["lines"][1]["id_order_detail"]
    removed = shop.remove_order_line(order["id"], mug, date="2026-11-30 10:06:00")

    # Adding takes the units but, as in PrestaShop, syncs no reservation.
    assert after_add == {21: (12, 14, 0), 22: (9, 10, 1), 23: (3, 5, 0), 24: (-1, 0, 1)}
    assert (added["total_paid"], added["date_upd"]) == ("79.960000", "2026-11-30 10:05:00")
    assert [line["id_product_attribute"] for line in removed["lines"]] == [31, 32]
    # Removing gives the units back and syncs the products still in the order: product 8,
    # gone from it, keeps its stale reservation (row 24), exactly as PrestaShop leaves it.
    assert stock(shop) == {21: (12, 12, 0), 22: (9, 10, 1), 23: (3, 5, 2), 24: (0, 0, 1)}
    assert (removed["total_paid"], removed["date_upd"]) == ("59.970000", "2026-11-30 10:06:00")


def test_line_edits_are_refused_once_shipped_or_delivered_and_change_nothing(shop):
    order = shop.place_order([(7, 31, 1), (8, 1)])
    shop.ship_order(order["id"])
    with pytest.raises(ValueError, match="Cannot add product to shipped order"):
        shop.add_order_line(order["id"], (8, 1))
    shop.deliver_order(order["id"])
    before = stock(shop)
    with pytest.raises(ValueError, match="Delivered order cannot be modified"):
        shop.remove_order_line(order["id"], order["lines"][1]["id_order_detail"])

    assert stock(shop) == before
    assert len(shop.orders([order["id"]])[0]["lines"]) == 2


@pytest.mark.parametrize(
    ("lines", "options", "message"),
    [
        ([(99, 1)], {}, "no product 99"),
        ([(7, 1)], {}, "product 7 is ordered as one of its combinations"),
        ([(7, 40, 1)], {}, "product 7 is ordered as one of its combinations"),
        ([(8, 0)], {}, "quantity of at least 1"),
        ([], {}, "at least one line"),
        ([(8, 1)], {"state": 99}, "no order state 99"),
        ([(8, 1)], {"date": "30.11.2026"}, "date must look like"),
        ([(8, 1)], {"colour": "red"}, "unknown order options"),
    ],
)
def test_an_order_the_shop_would_refuse_is_a_clear_error_and_writes_nothing(
    shop, lines, options, message
):
    with pytest.raises(ValueError, match=message):
        shop.place_order(lines, **options)

    assert shop.orders() == []
    assert stock(shop) == {21: (15, 15, 0), 22: (10, 10, 0), 23: (5, 5, 0), 24: (0, 0, 0)}


def test_the_side_endpoint_answers_400_with_the_reason(shop):
    url = shop.url + "_sim/orders"
    refused = requests.post(url, json={"lines": [{"id_product": 99, "quantity": 1}]}, timeout=10)
    no_order = requests.post(url + "/state", json={"id_order": 5, "action": "ship"}, timeout=10)
    bad_action = requests.post(url + "/state", json={"id_order": 5, "action": "fly"}, timeout=10)

    assert (refused.status_code, refused.json()) == (400, {"error": "ValueError: no product 99"})
    assert no_order.json() == {"error": "ValueError: no order 5"}
    assert bad_action.json()["error"].startswith("ValueError: unknown action 'fly'")


def test_orders_show_on_the_webservice_with_their_lines(shop):
    order = shop.place_order([(7, 31, 2)], reference="ABCDEFGHI", date="2026-11-30 10:00:00")
    response = get(shop, f"orders/{order['id']}", output_format="JSON")
    rows = get(shop, "order_details", display="[id,product_attribute_id,product_quantity]")

    assert response.status_code == 200
    body = response.json()["order"]
    assert (body["reference"], body["current_state"], body["date_upd"]) == (
        "ABCDEFGHI",
        "10",
        "2026-11-30 10:00:00",
    )
    assert body["associations"]["order_rows"][0]["product_name"] == "Product seven (DEMO-7-31)"
    assert 'api/combinations/31"><![CDATA[31]]></product_attribute_id>' in rows.text


@pytest.mark.integration
def test_a_simulator_process_takes_orders_through_its_side_endpoint():
    states = [
        {"id": 1, "name": "New"},
        {"id": 2, "name": "Sent", "shipped": True, "logable": True, "config": "PS_OS_SHIPPING"},
    ]
    options = {"section9": True, "read_orders": True, "order_states": states}
    with run_simulator_process(timezone="Asia/Tokyo", **options) as sim:
        order = sim.place_order([(7, 31, 2)], date="2026-11-30 10:00:00")
        reserved = sim.hidden_stock([22])
        sim.ship_order(order["id"])
        listed = get(sim, "orders", display="[id,current_state]", output_format="JSON")
        timezone = get(sim, "configurations", **{"filter[name]": "[PS_TIMEZONE]"}, display="full")
        with pytest.raises(ValueError, match="the shop has no PS_OS_CANCELED state"):
            sim.cancel_order(order["id"])

        assert sim.orders()[0]["current_state"] == 2

    assert reserved == [
        {
            "id": 22,
            "id_product": 7,
            "id_product_attribute": 31,
            "quantity": 8,
            "physical_quantity": 10,
            "reserved_quantity": 2,
        }
    ]
    assert listed.json() == {"orders": [{"id": 1, "current_state": "2"}]}
    assert "Asia/Tokyo" in timezone.text


@pytest.mark.parametrize(
    ("layout", "touched", "hidden", "others"),
    [
        # Stock per shop: shop 2's rows move and get their reservation synced.
        ({"groups": [{"id": 1, "shops": [1, 2]}]}, (2, 0), (8, 10, 2), [10]),
        # Stock shared by the group: the shared row moves, but the sync's `sa.id_shop = 2`
        # never matches a shared row (id_shop 0), so its hidden columns stay as they were.
        ({"groups": [{"id": 1, "share_stock": True, "shops": [1, 2]}]}, (0, 1), (8, 10, 0), []),
    ],
    ids=["per-shop", "shared"],
)
def test_an_order_of_a_second_shop_moves_that_shops_stock(
    simulator_factory, layout, touched, hidden, others
):
    sim = simulator_factory(section9=True, layout=layout)
    order = sim.place_order([(7, 31, 2)], id_shop=2)
    rows = [r for r in sim.stock_rows(products=[7]) if r["id_product_attribute"] == 31]
    moved = [r for r in rows if (r["id_shop"], r["id_shop_group"]) == touched]
    unmoved = [r["quantity"] for r in rows if r not in moved]
    (row,) = moved
    (columns,) = [
        (r["quantity"], r["physical_quantity"], r["reserved_quantity"])
        for r in sim.hidden_stock([row["id"]])
    ]

    assert (order["id_shop"], row["quantity"], columns) == (2, 8, hidden)
    assert unmoved == others
