"""check_access(), version() and iter_catalogue() of the PrestaShop client."""

import json

import pytest
import responses

from integrations.prestashop import CatalogueItem, ShopConfigError, UnexpectedResponse
from tests.test_client_helpers import (
    API,
    JSON,
    V8,
    V17,
    XML,
    client,
    echo_xml,
    error_xml,
    query_of,
    resources_xml,
    stock,
)

FULL_8 = {"stock_availables": "GPAH", "products": "GPOAD", "combinations": "G", "shops": "G"}


def add_resources(rsps, permissions, headers=V8):
    rsps.add(responses.GET, API, body=resources_xml(permissions), content_type=XML, headers=headers)


def test_a_key_with_every_needed_permission_reports_no_problems(rsps):
    add_resources(rsps, FULL_8)

    report = client().check_access()

    assert report.version == "8.1.7"
    assert report.problems == []
    assert report.warnings == []
    assert report.resources["stock_availables"] == {"GET", "PUT", "PATCH", "HEAD"}
    assert report.resources["combinations"] == {"GET"}


def test_missing_permissions_are_reported_in_words(rsps):
    add_resources(rsps, {"stock_availables": "G", "combinations": "G", "customers": "GP"})

    report = client().check_access()

    assert report.problems == [
        "The API key may not change stock (PUT on stock_availables).",
        "The API key may not read products (GET on products).",
    ]


def test_a_key_without_stock_access_reports_read_and_write_problems(rsps):
    add_resources(rsps, {"products": "G", "combinations": "G"}, headers=V17)

    report = client().check_access()

    assert report.version == "1.7.8.11"
    assert report.problems == [
        "The API key may not read stock (GET on stock_availables).",
        "The API key may not change stock (PUT on stock_availables).",
    ]


def test_no_patch_on_8_is_only_a_warning_and_writes_go_straight_to_put(rsps):
    add_resources(rsps, {**FULL_8, "stock_availables": "GP"})
    rsps.add(
        responses.PUT,
        API + "stock_availables/22",
        body=echo_xml(stock(22, 7, 0, 4)),
        content_type=XML,
        headers=V8,
    )
    shop = client()

    report = shop.check_access()
    shop.write_quantity(stock(22, 7, 0, 1), 4)

    assert report.problems == []
    assert report.warnings == [
        "The API key may not use PATCH on stock_availables; the slower full PUT will be used."
    ]
    assert [c.request.method for c in rsps.calls] == ["GET", "PUT"]


def test_no_patch_on_1_7_is_no_warning(rsps):
    add_resources(rsps, {**FULL_8, "stock_availables": "GP"}, headers=V17)

    assert client().check_access().warnings == []


def test_check_access_sends_the_shop_context(rsps):
    add_resources(rsps, FULL_8)

    client(shop_id=2).check_access()

    assert query_of(rsps.calls[0]) == {"id_shop": "2"}


def test_a_wrong_key_makes_check_access_raise_config_error(rsps):
    body = error_xml(
        (20, "Authentification key is not active"),
        (21, "No permission for this authentication key"),
    )
    rsps.add(
        responses.GET, API, body=body, status=401, content_type=XML, headers={"PSWS-Version": "0"}
    )

    with pytest.raises(ShopConfigError) as caught:
        client().check_access()

    assert str(caught.value) == (
        "GET /api/: the API key is unknown or disabled in the shop; the API key has no permissions "
        "(HTTP 401, code 20: Authentification key is not active; code 21: No permission for "
        "this authentication key)"
    )


def test_a_resource_list_that_is_not_one_raises_unexpected_response(rsps):
    rsps.add(responses.GET, API, body="<prestashop><nothing/></prestashop>", content_type=XML)

    with pytest.raises(UnexpectedResponse, match="holds no resource list"):
        client().check_access()


def test_version_asks_the_shop_once_and_remembers(rsps):
    add_resources(rsps, {}, headers=V17)
    shop = client()

    assert shop.version() == "1.7.8.11"
    assert shop.version() == "1.7.8.11"
    assert shop.requests_sent == 1


def serve_list(rsps, resource, items, *, page=1000):
    """A fake list endpoint honouring limit=offset,N (JSON, ids as numbers, values strings)."""

    def reply(request):
        offset, size = (int(p) for p in query_of(request)["limit"].split(","))
        chosen = items[offset : offset + size]
        return 200, V8, json.dumps({resource: chosen}) if chosen else "[]"

    rsps.add_callback(responses.GET, API + resource, callback=reply, content_type=JSON)


def test_catalogue_yields_products_then_combinations_across_pages(rsps):
    products = [{"id": i, "reference": f"SKU-{i}", "ean13": ""} for i in range(1, 1201)]
    combinations = [
        {"id": 31, "id_product": "7", "reference": "SKU-7-RED", "ean13": "5901234123457"},
        {"id": 32, "id_product": 7, "reference": "SKU-7-BLUE", "ean13": ""},
    ]
    serve_list(rsps, "products", products)
    serve_list(rsps, "combinations", combinations)

    items = list(client(shop_id=1).iter_catalogue())

    assert len(items) == 1202
    assert items[0] == CatalogueItem(1, 0, "SKU-1", "")
    assert items[1199] == CatalogueItem(1200, 0, "SKU-1200", "")
    assert items[1200:] == [
        CatalogueItem(7, 31, "SKU-7-RED", "5901234123457"),
        CatalogueItem(7, 32, "SKU-7-BLUE", ""),
    ]
    sent = [query_of(c) for c in rsps.calls]
    assert [(q["display"], q["limit"]) for q in sent] == [
        ("[id,reference,ean13]", "0,1000"),
        ("[id,reference,ean13]", "1000,1000"),
        ("[id,id_product,reference,ean13]", "0,1000"),
    ]
    assert {(q["sort"], q["output_format"], q["id_shop"]) for q in sent} == {
        ("[id_ASC]", "JSON", "1")
    }


def test_catalogue_reads_xml_lists_too(rsps):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop '
        'xmlns:xlink="http://www.w3.org/1999/xlink">\n<products>\n<product>\n'
        "\t<id><![CDATA[5]]></id>\n\t<reference><![CDATA[A&B]]></reference>\n"
        "\t<ean13><![CDATA[]]></ean13>\n</product>\n</products>\n</prestashop>\n"
    )
    rsps.add(responses.GET, API + "products", body=body, content_type=XML)
    rsps.add(responses.GET, API + "combinations", body="[]", content_type=JSON)

    assert list(client().iter_catalogue()) == [CatalogueItem(5, 0, "A&B", "")]
