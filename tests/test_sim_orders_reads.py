"""Reading orders from the simulator's webservice: permissions, dates with and without date=1,
time zone, incremental reads by date_upd, configurable order states, XML and JSON forms."""

from datetime import UTC, datetime

import pytest

from tests.fixtures.sim_requests import get

ORDER_LIST = "[id,current_state,date_upd]"


class Clock:
    """A settable UTC clock for the order book."""

    def __init__(self, text: str):
        self.set(text)

    def set(self, text: str) -> None:
        self.now = datetime.fromisoformat(text).replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def shop(simulator_factory):
    sim = simulator_factory(section9=True, read_orders=True, json_ints=True)
    sim.clock = sim.store.orders.clock = Clock("2026-11-30 09:00:00")
    return sim


def ids_of(response) -> list[int]:
    return [] if response.text == "[]" else [o["id"] for o in response.json()["orders"]]


def errors_of(response) -> list[int]:
    return [e["code"] for e in response.json()["errors"]]


def test_the_order_resources_need_the_key_to_grant_them(simulator_factory):
    plain = simulator_factory(section9=True)
    granted = simulator_factory(section9=True, read_orders=True)

    refused = get(plain, "orders", output_format="JSON")
    assert (refused.status_code, errors_of(refused)) == (401, [26])
    for name in ("orders", "order_details", "order_states", "order_histories", "configurations"):
        assert get(granted, name).status_code == 200, name
    index = get(granted, "").text
    assert '<orders xlink:href="' in index
    assert 'get="true" put="false" post="false" patch="false" delete="false" head="true"' in index


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"filter[date_upd]": ">[2026-01-01 00:00:00]"}, 32),
        ({"sort": "[date_upd_ASC]"}, 38),
        ({"filter[date_add]": "[2026-01-01,2027-01-01]"}, 32),
    ],
)
def test_dates_need_date_1_a_shop_on_php_8_adds_its_warnings(simulator_factory, params, code):
    clean = simulator_factory(read_orders=True)
    leaky = simulator_factory(read_orders=True, php_warnings=True)
    query = {"display": ORDER_LIST, "output_format": "JSON", **params}

    plain, warned = get(clean, "orders", **query), get(leaky, "orders", **query)
    allowed = get(clean, "orders", date="1", **query)

    assert (plain.status_code, errors_of(plain)) == (400, [code])
    assert (warned.status_code, errors_of(warned)) == (500, [code, 3, 3, 3, 3])
    assert "WebserviceRequest.php, line 1336" in warned.json()["errors"][-1]["message"]
    assert (allowed.status_code, allowed.text) == (200, "[]")


def test_date_filters_compare_as_mysql_datetimes(shop):
    for date in ("2026-11-29 23:59:59", "2026-11-30 00:00:00", "2026-11-30 10:00:00"):
        shop.place_order([(8, 1)], date=date)

    def upd(value):
        query = {"display": ORDER_LIST, "output_format": "JSON", "date": "1"}
        return ids_of(get(shop, "orders", **{**query, "filter[date_upd]": value}))

    assert upd(">[2026-11-30 00:00:00]") == [3]  # strict
    assert upd(">[2026-11-30]") == [3]  # a date alone is midnight
    assert upd("<[2026-11-30]") == [1]  # strict
    assert upd("[2026-11-29,2026-11-30]") == [1, 2]  # inclusive, the end at midnight
    assert upd("[2026-11-30,2026-11-30]") == [2]
    assert upd("[2025-01-01 00:00:00,2025-12-31 23:59:59]") == []


def test_dates_are_written_in_the_shop_time_zone(simulator_factory):
    paris = simulator_factory(section9=True, read_orders=True)
    new_york = simulator_factory(section9=True, read_orders=True, timezone="America/New_York")
    paris.store.orders.clock = new_york.store.orders.clock = Clock("2026-07-01 12:00:00")
    summer = paris.place_order([(8, 1)])
    summer_ny = new_york.place_order([(8, 1)])
    paris.store.orders.clock.set("2026-12-01 12:00:00")
    winter = paris.place_order([(8, 1)])
    config = get(new_york, "configurations", **{"filter[name]": "[PS_TIMEZONE]"}, display="full")

    assert summer["date_add"] == "2026-07-01 14:00:00"  # CEST, UTC+2
    assert winter["date_add"] == "2026-12-01 13:00:00"  # CET, UTC+1
    assert summer_ny["date_add"] == "2026-07-01 08:00:00"
    assert "<value><![CDATA[America/New_York]]></value>" in config.text


def test_incremental_reads_by_date_upd_see_each_change_once(shop):
    first = shop.place_order([(8, 1)])
    shop.clock.set("2026-11-30 09:00:05")
    second = shop.place_order([(7, 31, 1)])
    query = {"display": ORDER_LIST, "output_format": "JSON", "date": "1"}
    query["sort"] = "[date_upd_ASC,id_ASC]"

    seen = get(shop, "orders", **query, **{"filter[date_upd]": ">[2026-11-30 09:59:59]"})
    shop.clock.set("2026-11-30 09:01:00")
    shop.ship_order(first["id"])
    since = seen.json()["orders"][-1]["date_upd"]
    changed = get(shop, "orders", **query, **{"filter[date_upd]": f">[{since}]"})

    assert ids_of(seen) == [first["id"], second["id"]]
    assert since == "2026-11-30 10:00:05"
    assert changed.json() == {
        "orders": [{"id": first["id"], "current_state": 4, "date_upd": "2026-11-30 10:01:00"}]
    }


STATES = [
    {"id": 31, "name": "Waiting", "template": "wait"},
    {"id": 32, "name": "Paid", "paid": True, "logable": True, "invoice": True},
    {"id": 33, "name": "Sent", "shipped": True, "logable": True, "config": "PS_OS_SHIPPING"},
    {"id": 34, "name": "Void", "config": "PS_OS_CANCELED", "config_id": 500},
]


def test_order_states_and_their_configuration_keys_are_configurable(simulator_factory):
    sim = simulator_factory(section9=True, read_orders=True, order_states=STATES, json_ints=True)
    order = sim.place_order([(7, 31, 2)])
    shipped = sim.ship_order(order["id"])
    states = get(sim, "order_states", display="[id,shipped]", output_format="JSON")
    keys = get(sim, "configurations", display="[id,name,value]", output_format="JSON")

    assert (order["current_state"], shipped["current_state"]) == (31, 33)
    assert [r["reserved_quantity"] for r in sim.hidden_stock([22])] == [0]
    assert states.json()["order_states"][2] == {"id": 33, "shipped": "1"}
    assert keys.json()["configurations"] == [
        {"id": 500, "value": "34", "name": "PS_OS_CANCELED"},
        {"id": 501, "value": "33", "name": "PS_OS_SHIPPING"},
        {"id": 502, "value": "Europe/Paris", "name": "PS_TIMEZONE"},
    ]
    with pytest.raises(ValueError, match="the shop has no PS_OS_REFUND state"):
        sim.refund_order(order["id"])


def test_xml_lists_single_orders_and_their_associations(shop):
    order = shop.place_order([(7, 31, 2), (8, 1)], reference="QWERTYUIO")
    base = shop.url + "api/"

    minimal = get(shop, "orders").text
    full = get(shop, "orders", display="full").text
    single = get(shop, f"orders/{order['id']}").text
    listed = get(shop, "orders", display="[id,reference]", sort="[id_DESC]", limit="0,1").text

    assert f'<order id="1" xlink:href="{base}orders/1"/>' in minimal
    assert (full.count("<order_row>"), single.count("<order_row>")) == (2, 2)
    assert '<order_rows nodeType="order_row" virtualEntity="true">' in single
    assert f'<current_state xlink:href="{base}order_states/10"><![CDATA[10]]>' in single
    assert '<shipping_number notFilterable="true"><![CDATA[]]></shipping_number>' in single
    assert "<reference><![CDATA[QWERTYUIO]]></reference>" in listed
    assert "<associations>" not in listed
    assert get(shop, "orders/99").status_code == 404


def test_json_types_follow_the_php_version(simulator_factory):
    old_php = simulator_factory(section9=True, read_orders=True)
    new_php = simulator_factory(section9=True, read_orders=True, json_ints=True)
    for sim in (old_php, new_php):
        sim.pay_order(sim.place_order([(8, 1)])["id"])
    query = {"display": "[id,current_state,valid,total_paid_real]", "output_format": "JSON"}

    assert get(old_php, "orders", **query).json()["orders"] == [
        {"id": 1, "current_state": "2", "valid": "1", "total_paid_real": "26.990000"}
    ]
    assert get(new_php, "orders", **query).json()["orders"] == [
        {"id": 1, "current_state": 2, "valid": "1", "total_paid_real": "26.990000"}
    ]


def test_translated_fields_filter_and_sort_and_missing_date_columns_are_mysql_errors(shop):
    query = {"display": "[id]", "output_format": "JSON"}

    named = get(shop, "order_states", **query, **{"filter[name]": "[shipped]"})
    last = get(shop, "order_states", **query, sort="[name_DESC]", limit="2")
    no_column = get(shop, "order_histories", **query, date="1", **{"filter[date_upd]": ">[2026]"})

    assert named.json() == {"order_states": [{"id": 4}]}  # case-insensitive, as the collation
    assert last.json() == {"order_states": [{"id": 4}, {"id": 11}]}
    assert no_column.status_code == 500
    assert errors_of(no_column) == [3]
