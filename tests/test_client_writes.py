"""Stock writes of the PrestaShop client: PATCH on 8+, full PUT on 1.7, echo checks."""

from dataclasses import replace

import pytest
import responses
from lxml import etree

from integrations.prestashop import (
    ShopConfigError,
    ShopPermanentError,
    StockRowNotFound,
    UnexpectedResponse,
    WriteNotApplied,
)
from tests.test_client_helpers import (
    API,
    JSON,
    V8,
    V17,
    XML,
    add_stock_list,
    client,
    echo_xml,
    error_xml,
    query_of,
    resources_xml,
    stock,
    stock_json,
)

ROW = stock(22, 7, 31, 10, shop=1, group=0, location="A-01")
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
)
PATCH_22 = (
    HEAD + b"<stock_available>\n\t<id>22</id>\n\t<quantity>12</quantity>\n</stock_available>\n"
    b"</prestashop>\n"
)
PUT_22 = HEAD + (
    b"<stock_available>\n"
    b"\t<id><![CDATA[22]]></id>\n"
    b"\t<id_product><![CDATA[7]]></id_product>\n"
    b"\t<id_product_attribute><![CDATA[31]]></id_product_attribute>\n"
    b"\t<id_shop><![CDATA[1]]></id_shop>\n"
    b"\t<id_shop_group><![CDATA[0]]></id_shop_group>\n"
    b"\t<quantity><![CDATA[12]]></quantity>\n"
    b"\t<depends_on_stock><![CDATA[0]]></depends_on_stock>\n"
    b"\t<out_of_stock><![CDATA[2]]></out_of_stock>\n"
    b"\t<location><![CDATA[A-01]]></location>\n"
    b"</stock_available>\n</prestashop>\n"
)


def add_version(rsps, headers):
    rsps.add(responses.GET, API, body=resources_xml({}), content_type=XML, headers=headers)


def add_write(rsps, method, body, *, status=200, content_type=XML, headers=V8, stock_id=22):
    rsps.add(
        method,
        f"{API}stock_availables/{stock_id}",
        body=body,
        status=status,
        content_type=content_type,
        headers=headers,
    )


def test_on_prestashop_8_a_write_is_one_patch_of_id_and_quantity(rsps):
    add_stock_list(rsps, stock_json([ROW]))
    add_write(rsps, responses.PATCH, echo_xml(stock(22, 7, 31, 12, location="A-01")))
    shop = client()
    row = shop.fetch_stock([7]).rows[(7, 31)]

    saved = shop.write_quantity(row, 12)

    assert saved == stock(22, 7, 31, 12, location="A-01")
    assert [c.request.method for c in rsps.calls] == ["GET", "PATCH"]  # version from the read
    write = rsps.calls[1].request
    assert write.body == PATCH_22
    assert write.headers["Content-Type"] == "application/xml"
    assert query_of(rsps.calls[1]) == {}


def test_on_prestashop_1_7_a_write_is_a_put_of_every_field_as_read(rsps):
    add_version(rsps, V17)
    add_write(rsps, responses.PUT, echo_xml(stock(22, 7, 31, 12, location="A-01")), headers=V17)
    shop = client()

    saved = shop.write_quantity(ROW, 12)

    assert saved.quantity == 12
    assert [c.request.method for c in rsps.calls] == ["GET", "PUT"]
    assert rsps.calls[1].request.body == PUT_22


def test_a_put_keeps_shared_stock_shop_fields_quotes_text_and_sends_id_shop(rsps):
    add_version(rsps, V17)
    shared = stock(50, 7, 0, 3, shop=0, group=2, location="R&D <1> ]]> x", oos=1)
    add_write(rsps, responses.PUT, echo_xml(stock(50, 7, 0, 9, shop=0, group=2)), stock_id=50)

    client(shop_id=4).write_quantity(shared, 9)

    put = rsps.calls[1]
    assert query_of(put) == {"id_shop": "4"}
    body = put.request.body
    assert (
        b"\t<id_shop><![CDATA[0]]></id_shop>\n\t<id_shop_group><![CDATA[2]]></id_shop_group>"
        in body
    )
    assert b"\t<out_of_stock><![CDATA[1]]></out_of_stock>\n" in body
    # "]]>" cannot stand in CDATA: the section is closed between "]]" and ">".
    assert b"<location><![CDATA[R&D <1> ]]]]><![CDATA[> x]]></location>" in body
    location = etree.fromstring(body).findtext("stock_available/location")
    assert location == "R&D <1> ]]> x"


def test_unknown_version_is_asked_once_then_remembered(rsps):
    add_version(rsps, V8)
    add_write(rsps, responses.PATCH, echo_xml(stock(22, 7, 31, 12)))
    shop = client()

    shop.write_quantity(ROW, 12)
    shop.write_quantity(ROW, 12)

    assert [c.request.method for c in rsps.calls] == ["GET", "PATCH", "PATCH"]
    assert shop.requests_sent == 3


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (23, "Method PATCH is not valid"),
        (
            25,
            "Method PATCH is not allowed for the resource stock_availables with this "
            "authentication key",
        ),
    ],
)
def test_patch_refused_with_405_falls_back_to_put_and_remembers(rsps, code, message):
    add_version(rsps, V8)
    add_write(rsps, responses.PATCH, error_xml((code, message)), status=405)
    add_write(rsps, responses.PUT, echo_xml(stock(22, 7, 31, 12, location="A-01")))
    shop = client()

    first = shop.write_quantity(ROW, 12)
    second = shop.write_quantity(ROW, 12)

    assert first.quantity == second.quantity == 12
    assert [c.request.method for c in rsps.calls] == ["GET", "PATCH", "PUT", "PUT"]
    assert rsps.calls[2].request.body == PUT_22


def test_put_refused_to_a_read_only_key_raises_config_error(rsps):
    add_version(rsps, V17)
    body = error_xml(
        (
            25,
            "Method PUT is not allowed for the resource stock_availables with this "
            "authentication key",
        )
    )
    add_write(rsps, responses.PUT, body, status=405)

    with pytest.raises(ShopConfigError) as caught:
        client().write_quantity(ROW, 12)

    assert (caught.value.status, caught.value.codes) == (405, [25])
    assert str(caught.value).startswith(
        "PUT /api/stock_availables/22: the API key may not use this method on this resource "
        "(HTTP 405, code 25: Method PUT is not allowed"
    )


def test_an_echo_with_another_quantity_raises_write_not_applied(rsps):
    add_version(rsps, V8)
    add_write(rsps, responses.PATCH, echo_xml(stock(22, 7, 31, 10)))

    with pytest.raises(WriteNotApplied) as caught:
        client().write_quantity(ROW, 12)

    error = caught.value
    assert (error.expected, error.actual, error.stock_id) == (12, 10, 22)
    assert str(error) == (
        "PATCH /api/stock_availables/22: the shop accepted quantity 12 but its reply says 10 "
        "(accepted but not applied)"
    )
    assert isinstance(error, ShopPermanentError)


def test_a_json_echo_that_dropped_a_zero_quantity_counts_as_zero(rsps):
    add_version(rsps, V8)
    echo = (
        '{"stock_available":{"id":22,"id_product":"7","id_product_attribute":"31",'
        '"id_shop":"1","out_of_stock":"2"}}'
    )
    add_write(rsps, responses.PATCH, echo, content_type=JSON)

    saved = client().write_quantity(ROW, 0)

    assert saved == stock(22, 7, 31, 0, location="")


def test_a_json_echo_without_quantity_after_writing_five_is_not_applied(rsps):
    add_version(rsps, V8)
    add_write(rsps, responses.PATCH, '{"stock_available":{"id":22}}', content_type=JSON)

    with pytest.raises(WriteNotApplied) as caught:
        client().write_quantity(ROW, 5)

    assert (caught.value.expected, caught.value.actual) == (5, 0)


def test_an_echo_of_another_row_raises_unexpected_response(rsps):
    add_version(rsps, V8)
    add_write(rsps, responses.PATCH, echo_xml(stock(23, 7, 32, 12)))

    with pytest.raises(UnexpectedResponse, match="answered with stock row 23"):
        client().write_quantity(ROW, 12)


def test_writing_an_unknown_row_raises_stock_row_not_found(rsps):
    add_version(rsps, V8)
    add_write(rsps, responses.PATCH, error_xml((92, "Invalid ID")), status=404)

    with pytest.raises(StockRowNotFound) as caught:
        client().write_quantity(ROW, 12)

    assert (caught.value.stock_id, caught.value.codes) == (22, [92])
    assert "stock row 22 does not exist in this shop (code 92: Invalid ID)" in str(caught.value)


def test_a_validation_error_raises_permanent_error_with_its_code(rsps):
    add_version(rsps, V8)
    body = (
        '{"errors":[{"code":85,"message":"Validation error: \\"Property StockAvailable'
        '->quantity is not valid\\""}]}'
    )
    add_write(rsps, responses.PATCH, body, status=400, content_type=JSON)

    with pytest.raises(ShopPermanentError) as caught:
        client().write_quantity(ROW, 12)

    assert type(caught.value) is ShopPermanentError
    assert caught.value.codes == [85]
    assert "StockAvailable->quantity is not valid" in str(caught.value)


def test_a_row_depending_on_stock_is_refused_without_a_request(rsps):
    legacy = replace(ROW, depends_on_stock=1)

    with pytest.raises(ShopPermanentError, match="depends_on_stock=1"):
        client().write_quantity(legacy, 12)

    assert len(rsps.calls) == 0


def test_a_quantity_the_shop_cannot_store_is_refused_without_a_request(rsps):
    with pytest.raises(ShopPermanentError, match="outside what PrestaShop can store"):
        client().write_quantity(ROW, 10**10)
    with pytest.raises(TypeError):
        client().write_quantity(ROW, 1.5)

    assert len(rsps.calls) == 0


def test_a_500_refusing_depends_on_stock_is_permanent(rsps):
    add_version(rsps, V8)
    body = error_xml(
        (133, "You cannot update the available stock when it depends on stock."),
        (46, "Unable to save resource"),
    )
    add_write(rsps, responses.PATCH, body, status=500)

    with pytest.raises(ShopPermanentError) as caught:
        client().write_quantity(ROW, 12)

    assert caught.value.codes == [133, 46]
