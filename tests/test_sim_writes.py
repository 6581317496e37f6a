"""PUT/PATCH semantics of stock_availables, version switch and multistore stock."""

import pytest

from tests.fixtures.sim_requests import get, send


def entity(**fields):
    return (
        "<stock_available>"
        + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
        + "</stock_available>"
    )


def body(*entities):
    return "<prestashop>" + "".join(entities) + "</prestashop>"


FULL_22 = {
    "id": 22,
    "id_product": 7,
    "id_product_attribute": 31,
    "id_shop": 1,
    "id_shop_group": 0,
    "quantity": 12,
    "depends_on_stock": 0,
    "out_of_stock": 2,
    "location": "A-01",
}


def codes(response):
    return [(e["code"], e["message"]) for e in response.json()["errors"]]


@pytest.fixture
def shop(simulator_section9):
    return simulator_section9


def test_put_nulls_omitted_optional_fields_and_the_row_leaves_its_shop(shop):
    required = {
        k: v for k, v in FULL_22.items() if k not in ("id_shop", "id_shop_group", "location")
    }
    response = send(
        shop, "PUT", "stock_availables/22", body(entity(**required)), output_format="JSON"
    )
    listed = get(shop, "stock_availables", **{"filter[id_product]": "[7]", "output_format": "JSON"})

    assert response.status_code == 200
    assert response.json() == {
        "stock_available": {
            "id": 22,
            "id_product": "7",
            "id_product_attribute": "31",
            "quantity": "12",
            "out_of_stock": "2",
        }
    }
    assert shop.stock_rows(ids=[22])[0] | {} == {
        **FULL_22,
        "id_shop": 0,
        "id_shop_group": 0,
        "location": "",
    }
    assert [r["id"] for r in listed.json()["stock_availables"]] == [21, 23]


def test_put_takes_the_id_from_the_body_not_the_url(shop):
    response = send(shop, "PUT", "stock_availables/24", body(entity(**FULL_22)))
    no_id_in_url = send(shop, "PUT", "stock_availables", body(entity(**{**FULL_22, "quantity": 3})))

    assert response.status_code == 200
    assert no_id_in_url.status_code == 200
    assert shop.quantity(22) == 3
    assert shop.quantity(24) == 0


def test_patch_changes_only_sent_fields_and_recomputes_the_product_row(shop):
    response = send(
        shop, "PATCH", "stock_availables/23", body(entity(id=23, quantity=9)), output_format="JSON"
    )

    assert response.status_code == 200
    assert response.json()["stock_available"]["quantity"] == "9"
    row = shop.stock_rows(ids=[23])[0]
    assert (row["quantity"], row["id_shop"], row["out_of_stock"]) == (9, 1, 2)
    assert shop.quantity(21) == 19
    counters = shop.counters()
    assert counters["action_update_quantity"] == 1
    assert counters["hook_events"][0]["quantity"] == 19
    assert counters["stock_row_saves"] == 2


def test_writing_a_product_row_does_not_recompute_or_fire_the_hook(shop):
    send(shop, "PATCH", "stock_availables/21", body(entity(id=21, quantity=100)))

    assert shop.quantity(21) == 100
    assert (shop.quantity(22), shop.quantity(23)) == (10, 5)
    assert shop.counters()["action_update_quantity"] == 0


def test_multi_entity_body_updates_every_row_and_json_shows_only_the_last(shop):
    data = body(entity(id=22, quantity=1), entity(id=23, quantity=2))
    xml = send(shop, "PATCH", "stock_availables", data)
    json_response = send(
        shop,
        "PATCH",
        "stock_availables",
        body(entity(id=22, quantity=4), entity(id=24, quantity=6)),
        output_format="JSON",
    )

    assert xml.status_code == 200
    assert xml.text.count("<stock_available>") == 2
    assert json_response.json()["stock_available"]["id"] == 24
    assert (shop.quantity(22), shop.quantity(23), shop.quantity(24)) == (4, 2, 6)
    assert shop.quantity(21) == 6
    assert shop.counters()["action_update_quantity"] == 3


def test_multi_entity_body_stops_at_the_first_unknown_id_keeping_earlier_saves(shop):
    response = send(
        shop,
        "PATCH",
        "stock_availables",
        body(entity(id=22, quantity=1), entity(id=999, quantity=2)),
    )

    assert response.status_code == 404
    assert shop.quantity(22) == 1


@pytest.mark.parametrize(
    ("entities", "expected"),
    [
        (
            (entity(id=22, quantity=1), entity(id=22, quantity=2)),
            (89, "id is duplicate in request"),
        ),
        (
            (entity(id=22, quantity=1), entity(quantity=2)),
            (90, "id is required when modifying a resource"),
        ),
    ],
)
def test_duplicate_or_missing_ids_are_refused_before_any_save(shop, entities, expected):
    response = send(shop, "PATCH", "stock_availables", body(*entities), output_format="JSON")

    assert response.status_code == 400
    assert codes(response) == [expected]
    assert shop.quantity(22) == 10


def test_depends_on_stock_is_refused_with_500_codes_133_and_46(shop):
    response = send(
        shop,
        "PATCH",
        "stock_availables/22",
        body(entity(id=22, quantity=1, depends_on_stock=1)),
        output_format="JSON",
    )

    assert response.status_code == 500
    assert codes(response) == [
        (133, "You cannot update the available stock when it depends on stock."),
        (46, "Unable to save resource"),
    ]
    assert shop.quantity(22) == 10


@pytest.mark.parametrize(
    ("version", "quantity", "status", "message"),
    [
        (
            "8.1.7",
            "12345678901",
            400,
            "The length of property StockAvailable-&gt;quantity is currently 11 chars. "
            "It must be between 0 and 10 chars.",
        ),
        ("8.1.7", "", 400, "Property StockAvailable-&gt;quantity is empty."),
        ("8.1.7", "-5", 200, None),
        ("8.1.7", "05", 400, "Property StockAvailable-&gt;quantity is not valid"),
        (
            "8.1.7",
            "abc",
            400,
            "The range of property StockAvailable-&gt;quantity is currently 0. "
            "It must be between -2147483648 and 2147483647.",
        ),
        ("1.7.8.11", "12345678901", 500, None),
    ],
)
def test_quantity_validation_by_version(simulator_factory, version, quantity, status, message):
    sim = simulator_factory(section9=True, ps_version=version)
    data = body(entity(**{**FULL_22, "quantity": quantity}))
    response = send(sim, "PUT", "stock_availables/22", data, output_format="JSON")

    assert response.status_code == status
    if message:
        assert codes(response) == [(85, f'Validation error: "{message}"')]
    if status == 500:
        assert codes(response) == [(46, "Unable to save resource")]
    assert sim.quantity(22) == (-5 if status == 200 else 10)


def test_json_body_is_a_500_xml_parse_error_after_the_parser_warnings(shop):
    data = '{"stock_available":{"id":22,"quantity":3}}'
    response = send(shop, "PUT", "stock_availables/22", data, output_format="JSON")

    where = " (/var/www/html/classes/webservice/WebserviceRequest.php, line 1544)"
    warning = "[PHP Warning #2] SimpleXMLElement::__construct(): "
    assert response.status_code == 500
    assert codes(response) == [
        (3, warning + "Entity: line 1: parser error : Start tag expected, '<' not found" + where),
        (3, warning + data + where),
        (3, warning + "^" + where),
        (
            127,
            "XML error : String could not be parsed as XML\n"
            f"XML length : {len(data)}\nOriginal XML : {data}",
        ),
    ]
    assert shop.quantity(22) == 10


def test_1_7_reports_an_unparsable_body_without_warnings(simulator_factory):
    sim = simulator_factory(section9=True, ps_version="1.7.8.11")
    response = send(sim, "PUT", "stock_availables/22", "<prestashop>", output_format="JSON")

    assert [code for code, _ in codes(response)] == [127]


def test_entity_bomb_body_is_refused_without_expanding_anything(shop):
    data = (
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]><prestashop><stock_available><id>22</id>'
        "<location>&c;</location></stock_available></prestashop>"
    )
    response = send(shop, "PATCH", "stock_availables/22", data, output_format="JSON")

    assert response.status_code == 500
    assert codes(response)[0][0] == 127
    assert shop.stock_rows(ids=[22])[0]["location"] == "A-01"


def test_post_with_ps_method_put_tunnels_a_put(shop):
    response = send(shop, "POST", "stock_availables/22", body(entity(**FULL_22)), ps_method="PUT")

    assert response.status_code == 200
    assert shop.quantity(22) == 12
    assert shop.counters()["by_method"] == {"PUT": 1}


def test_1_7_keeps_zero_fields_in_json_and_refuses_tunnelled_patch(simulator_factory):
    sim = simulator_factory(section9=True, ps_version="1.7.8.11")
    single = get(sim, "stock_availables/24", output_format="JSON")
    patch = send(
        sim,
        "POST",
        "stock_availables/24",
        body(entity(id=24, quantity=1)),
        ps_method="PATCH",
        output_format="JSON",
    )

    assert single.json() == {
        "stock_available": {
            "id": 24,
            "id_product": "8",
            "id_product_attribute": "0",
            "id_shop": "1",
            "id_shop_group": "0",
            "quantity": "0",
            "depends_on_stock": "0",
            "out_of_stock": "2",
            "location": "",
        }
    }
    assert patch.status_code == 405
    assert codes(patch) == [(23, "Method PATCH is not valid")]
    assert single.headers["PSWS-Version"] == "1.7.8.11"


def test_1_7_put_response_keeps_nulled_fields_as_null_in_json(simulator_factory):
    sim = simulator_factory(section9=True, ps_version="1.7.8.11")
    required = {k: v for k, v in FULL_22.items() if k != "location"}
    response = send(
        sim, "PUT", "stock_availables/22", body(entity(**required)), output_format="JSON"
    )

    assert response.json()["stock_available"]["location"] is None
    assert response.json()["stock_available"]["id_shop_group"] == "0"


MULTISTORE = {
    "groups": [
        {"id": 1, "share_stock": True, "shops": [1, 2]},
        {"id": 2, "share_stock": False, "shops": [3]},
    ],
    "default_shop": 1,
}


@pytest.fixture
def multistore(simulator_factory):
    """Group 1 (shops 1, 2) shares stock; group 2 (shop 3) keeps its own rows."""
    return simulator_factory(section9=True, layout=MULTISTORE)


def list_ids(sim, **params):
    params |= {
        "filter[id_product]": "[7]",
        "output_format": "JSON",
        "display": "[id,id_shop,id_shop_group]",
    }
    response = get(sim, "stock_availables", **params)
    return [
        (r["id"], r["id_shop"], r["id_shop_group"]) for r in response.json()["stock_availables"]
    ]


def test_multistore_lists_are_scoped_to_the_context_shops(multistore):
    shared = [(21, "0", "1"), (22, "0", "1"), (23, "0", "1")]
    own = [(i, "3", "0") for i in (25, 26, 27)]

    assert list_ids(multistore) == shared
    assert list_ids(multistore, id_shop="2") == shared
    assert list_ids(multistore, id_shop="3") == own
    assert list_ids(multistore, id_shop_group="2") == own
    assert list_ids(multistore, id_shop="all") == shared + own


def test_multistore_single_get_outside_context_is_404_code_131(multistore):
    outside = get(multistore, "stock_availables/26", output_format="JSON")
    inside = get(multistore, "stock_availables/26", id_shop="3")

    assert outside.status_code == 404
    assert codes(outside) == [(131, "This StockAvailable (26) does not exists on this shop")]
    assert inside.status_code == 200


def test_multistore_write_recomputes_the_product_row_of_the_rows_own_scope(multistore):
    send(multistore, "PATCH", "stock_availables/26", body(entity(id=26, quantity=50)), id_shop="3")
    send(multistore, "PATCH", "stock_availables/22", body(entity(id=22, quantity=1)))

    assert multistore.quantity(25) == 55
    assert multistore.quantity(21) == 6
    assert [e["quantity"] for e in multistore.counters()["hook_events"]] == [55, 6]


def test_multistore_list_by_product_follows_the_id_product_index_as_mysql_does(multistore):
    response = get(
        multistore,
        "stock_availables",
        **{"filter[id_product]": "[8|7]", "id_shop": "all", "output_format": "JSON"},
    )

    assert [r["id"] for r in response.json()["stock_availables"]] == [
        21,
        22,
        23,
        25,
        26,
        27,
        24,
        28,
    ]
