"""Filters, display, sort and limit on a catalogue of a few thousand rows."""

import hashlib

import pytest
import requests

from prestashop_sim.testing import run_simulator
from tests.fixtures.sim_requests import KEY


@pytest.fixture(scope="module")
def big():
    """2,000 generated products (about 2,900 stock rows), PrestaShop 8.1.7."""
    with run_simulator(products=2000, combination_share=0.2, seed=7) as sim:
        sim.http = requests.Session()
        sim.http.auth = (KEY, "")
        yield sim


def stock(sim, **params):
    params.setdefault("output_format", "JSON")
    response = sim.http.get(sim.api_url + "stock_availables", params=params)
    assert response.status_code == 200, response.text
    return [] if response.text == "[]" else response.json()["stock_availables"]


def test_catalogue_has_a_few_thousand_rows(big):
    assert len(big.store.products) == 2000
    assert 2500 < len(big.store.rows) < 3500


def test_filter_with_500_product_ids_returns_every_row_of_exactly_those_products(big):
    ids = list(range(1001, 1501))
    rows = stock(
        big,
        display="[id,id_product,quantity]",
        **{"filter[id_product]": f"[{'|'.join(map(str, ids))}]"},
    )

    expected = sorted(r["id"] for r in big.stock_rows(products=ids))
    assert sorted(r["id"] for r in rows) == expected
    assert {int(r["id_product"]) for r in rows} == set(ids)
    by_id = {r["id"]: r["quantity"] for r in big.stock_rows(products=ids)}
    assert all(int(r["quantity"]) == by_id[r["id"]] for r in rows)


def test_minimal_list_is_ids_only_in_the_order_of_the_id_product_index(big):
    rows = stock(big, **{"filter[id_product]": "[3|1|2]"})

    index_order = sorted(
        big.stock_rows(products=[3, 1, 2]), key=lambda r: (r["id_product"], r["id"])
    )
    assert rows == [{"id": r["id"]} for r in index_order]


def test_display_fields_come_in_resource_order_not_requested_order(big):
    rows = stock(big, display="[quantity,id_product,id]", **{"filter[id]": "[5]"})

    assert list(rows[0]) == ["id", "id_product", "quantity"]


def test_range_filter_is_inclusive_and_sorts_its_bounds(big):
    rows = stock(big, display="[id]", **{"filter[id]": "[20,10]"})

    assert [r["id"] for r in rows] == list(range(10, 21))


def test_not_filter_excludes_each_listed_value(big):
    rows = stock(
        big, display="[id,id_product]", **{"filter[id_product]": "[1|2|3]", "filter[id]": "![1|2]"}
    )

    expected = [r["id"] for r in big.stock_rows(products=[1, 2, 3]) if r["id"] not in (1, 2)]
    assert [r["id"] for r in rows] == expected


def test_greater_and_less_than_filters_are_strict(big):
    rows = stock(big, display="[id]", **{"filter[id]": ">[2995]"})
    low = stock(big, display="[id]", **{"filter[id]": "<[3]"})

    assert [r["id"] for r in rows] == [i for i in sorted(big.store.rows) if i > 2995]
    assert [r["id"] for r in low] == [1, 2]


def test_like_filters_on_reference_are_case_insensitive(big):
    response = big.http.get(
        big.api_url + "products",
        params={
            "display": "[id,reference]",
            "filter[reference]": "[sku-00001]%",
            "output_format": "JSON",
        },
    )

    refs = [p["reference"] for p in response.json()["products"]]
    assert refs == [f"SKU-{n:06d}" for n in range(10, 20)]


def test_contains_filter_on_combination_reference(big):
    response = big.http.get(
        big.api_url + "combinations",
        params={"display": "[id,reference]", "filter[reference]": "%[-3]", "output_format": "JSON"},
    )

    refs = [c["reference"] for c in response.json()["combinations"]]
    expected = sorted(
        (c for c in big.store.combinations.values() if c.reference.endswith("-3")),
        key=lambda c: c.id,
    )
    assert refs == [c.reference for c in expected]
    assert refs


def test_or_filter_on_300_references_finds_each_product_once(big):
    refs = [f"SKU-{n:06d}" for n in range(500, 800)]
    response = big.http.get(
        big.api_url + "products",
        params={
            "display": "[id,reference,ean13]",
            "filter[reference]": f"[{'|'.join(refs)}]",
            "output_format": "JSON",
        },
    )

    products = response.json()["products"]
    assert [p["reference"] for p in products] == refs
    assert all(len(p["ean13"]) == 13 for p in products)


def test_literal_filter_without_brackets_and_id_cast_like_mysql(big):
    plain = stock(big, display="[id]", **{"filter[id]": "7"})
    padded = stock(big, display="[id]", **{"filter[id]": "[007]"})

    assert plain == [{"id": 7}]
    assert padded == [{"id": 7}]


def test_sort_by_quantity_desc_then_id_and_limit_with_offset(big):
    everything = stock(big, display="[id,quantity]", sort="[quantity_DESC,id_ASC]")
    page = stock(big, display="[id,quantity]", sort="[quantity_DESC,id_ASC]", limit="100,50")
    first = stock(big, display="[id,quantity]", sort="[quantity_DESC,id_ASC]", limit="25")

    expected = sorted(big.stock_rows(), key=lambda r: (-r["quantity"], r["id"]))
    assert [r["id"] for r in everything] == [r["id"] for r in expected]
    assert page == everything[100:150]
    assert first == everything[:25]


def test_paging_until_a_short_page_returns_every_row_once(big):
    seen, offset = [], 0
    while True:
        page = stock(big, display="[id]", sort="[id_ASC]", limit=f"{offset},1000")
        seen += [r["id"] for r in page]
        if len(page) < 1000:
            break
        offset += 1000

    assert seen == sorted(big.store.rows)


def test_xml_minimal_list_items_are_self_closing_with_xlink(big):
    response = big.http.get(big.api_url + "stock_availables", params={"filter[id]": "[1|2]"})

    assert response.text.endswith(
        "<stock_availables>\n"
        f'<stock_available id="1" xlink:href="{big.api_url}stock_availables/1"/>\n'
        f'<stock_available id="2" xlink:href="{big.api_url}stock_availables/2"/>\n'
        "</stock_availables>\n</prestashop>\n"
    )


def test_empty_xml_list_is_an_empty_wrapper(big):
    response = big.http.get(big.api_url + "stock_availables", params={"filter[id]": "[0]"})

    assert response.status_code == 200
    assert response.text.endswith("<stock_availables>\n</stock_availables>\n</prestashop>\n")


def test_single_resource_with_display_uses_the_plural_json_key(big):
    response = big.http.get(
        big.api_url + "stock_availables/3",
        params={"display": "[id,quantity]", "output_format": "JSON"},
    )

    assert response.json() == {"stock_availables": [{"id": 3, "quantity": str(big.quantity(3))}]}


def test_combinations_filtered_by_product_and_product_name_is_a_language_list(big):
    with_combos = next(p for p in big.store.products.values() if p.id_default_combination)
    response = big.http.get(
        big.api_url + "combinations",
        params={
            "display": "[id,id_product,reference]",
            "filter[id_product]": f"[{with_combos.id}]",
            "output_format": "JSON",
        },
    )
    product = big.http.get(
        big.api_url + f"products/{with_combos.id}", params={"output_format": "JSON"}
    )

    combos = response.json()["combinations"]
    assert [c["id"] for c in combos] == big.store.combinations_by_product[with_combos.id]
    assert product.json()["product"]["name"] == [{"id": "1", "value": with_combos.name}]
    assert product.json()["product"]["id_default_combination"] == str(combos[0]["id"])


def test_local_content_sha1_gives_304_on_8_and_empty_200_on_1_7(big, simulator_factory):
    url = big.api_url + "stock_availables/1"
    body = big.http.get(url).content
    sha = hashlib.sha1(body, usedforsecurity=False).hexdigest()
    modern = big.http.get(url, headers={"Local-Content-Sha1": sha})
    legacy_sim = simulator_factory(products=1, ps_version="1.7.8.11")
    legacy_url = legacy_sim.api_url + "stock_availables/1"
    legacy_body = requests.get(legacy_url, auth=(KEY, ""), timeout=10).content
    legacy_sha = hashlib.sha1(legacy_body, usedforsecurity=False).hexdigest()
    legacy = requests.get(
        legacy_url, auth=(KEY, ""), headers={"Local-Content-Sha1": legacy_sha}, timeout=10
    )

    assert (modern.status_code, modern.content) == (304, b"")
    assert (legacy.status_code, legacy.content) == (200, b"")


def test_head_answers_headers_without_body(big):
    response = big.http.head(big.api_url + "stock_availables/1")

    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["Content-Length"]) > 0


def test_combination_quantity_field_exists_on_1_7_only(simulator_factory):
    modern = simulator_factory(section9=True)
    legacy = simulator_factory(section9=True, ps_version="1.7.8.11")

    def fields(sim):
        response = requests.get(
            sim.api_url + "combinations/31?output_format=JSON", auth=(KEY, ""), timeout=10
        )
        return response.json()["combination"]

    assert "quantity" not in fields(modern)
    assert fields(legacy)["quantity"] == "10"
    assert fields(legacy)["location"] == "A-01"


def test_schema_blank_and_synopsis_describe_the_stock_fields(simulator_section9):
    url = simulator_section9.api_url + "stock_availables"
    blank = requests.get(url, params={"schema": "blank"}, auth=(KEY, ""), timeout=10)
    synopsis = requests.get(url, params={"schema": "synopsis"}, auth=(KEY, ""), timeout=10)

    assert "\t<id><![CDATA[]]></id>\n" in blank.text
    assert "\t<location><![CDATA[]]></location>\n" in blank.text
    assert '\t<quantity required="true" format="isInt"><![CDATA[]]></quantity>\n' in synopsis.text
    assert "<id>" not in synopsis.text
