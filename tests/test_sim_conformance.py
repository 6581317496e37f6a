"""The simulator replays every wire example of the reference's section 9."""

import hashlib

import pytest
import requests

from tests.fixtures.sim_requests import KEY

REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key '
    'as the login. No password required."'
)
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
ALL_FIELDS = (
    "[id,id_product,id_product_attribute,id_shop,id_shop_group,quantity,"
    "depends_on_stock,out_of_stock,location]"
)
PUT_22 = """<?xml version="1.0" encoding="UTF-8"?>
<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">
<stock_available>
<id><![CDATA[22]]></id>
<id_product><![CDATA[7]]></id_product>
<id_product_attribute><![CDATA[31]]></id_product_attribute>
<id_shop><![CDATA[1]]></id_shop>
<id_shop_group><![CDATA[0]]></id_shop_group>
<quantity><![CDATA[12]]></quantity>
<depends_on_stock><![CDATA[0]]></depends_on_stock>
<out_of_stock><![CDATA[2]]></out_of_stock>
<location><![CDATA[A-01]]></location>
</stock_available>
</prestashop>
"""


PATCH_24 = (
    "<prestashop><stock_available><id>24</id><quantity>40</quantity></stock_available></prestashop>"
)


def row_xml(row_id, product, attribute, quantity, location=""):
    """A stock_available element exactly as section 9 shows it (host shop.example)."""
    attr_link = (
        f' xlink:href="https://shop.example/api/combinations/{attribute}"' if attribute else ""
    )
    return (
        "<stock_available>\n"
        f"\t<id><![CDATA[{row_id}]]></id>\n"
        f'\t<id_product xlink:href="https://shop.example/api/products/{product}">'
        f"<![CDATA[{product}]]></id_product>\n"
        f"\t<id_product_attribute{attr_link}><![CDATA[{attribute}]]></id_product_attribute>\n"
        '\t<id_shop xlink:href="https://shop.example/api/shops/1"><![CDATA[1]]></id_shop>\n'
        "\t<id_shop_group><![CDATA[0]]></id_shop_group>\n"
        f"\t<quantity><![CDATA[{quantity}]]></quantity>\n"
        "\t<depends_on_stock><![CDATA[0]]></depends_on_stock>\n"
        "\t<out_of_stock><![CDATA[2]]></out_of_stock>\n"
        f"\t<location><![CDATA[{location}]]></location>\n"
        "</stock_available>\n"
    )


def errors_xml(*entries):
    """An <errors> document."""
    body = "".join(
        f"<error>\n<code><![CDATA[{c}]]></code>\n<message><![CDATA[{m}]]></message>\n</error>\n"
        for c, m in entries
    )
    return HEAD + "<errors>\n" + body + "</errors>\n</prestashop>\n"


def as_shop_example(sim, text):
    """Replace the simulator's host in xlinks with the reference's shop host."""
    return text.replace(sim.url, "https://shop.example/")


@pytest.fixture
def shop(simulator_section9):
    """The section-9 shop with a session authenticated by HTTP Basic."""
    session = requests.Session()
    session.auth = (KEY, "")
    simulator_section9.http = session
    return simulator_section9


def assert_success_headers(response, content_type):
    assert response.headers["PSWS-Version"] == "8.1.7"
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Powered-By"] == "PrestaShop Webservice"
    sha1 = hashlib.sha1(response.content, usedforsecurity=False).hexdigest()
    assert response.headers["Content-Sha1"] == sha1
    assert response.headers["Execution-Time"].count(".") == 1
    assert response.headers["Access-Time"].isdigit()


def test_9_1_stock_list_xml_matches_the_reference_byte_for_byte(shop):
    params = {"display": ALL_FIELDS, "filter[id_product]": "[7|8]", "sort": "[id_ASC]"}
    response = shop.http.get(shop.api_url + "stock_availables", params=params)

    assert response.status_code == 200
    assert_success_headers(response, "text/xml;charset=utf-8")
    expected = (
        HEAD
        + "<stock_availables>\n"
        + row_xml(21, 7, 0, 15)
        + row_xml(22, 7, 31, 10, "A-01")
        + row_xml(23, 7, 32, 5)
        + row_xml(24, 8, 0, 0)
        + "</stock_availables>\n</prestashop>\n"
    )
    assert as_shop_example(shop, response.text) == expected


def test_9_2_stock_list_json_has_numeric_ids_and_string_values(shop):
    params = {
        "display": "[id,id_product,id_product_attribute,id_shop,quantity]",
        "filter[id_product]": "[7|8]",
        "output_format": "JSON",
    }
    response = shop.http.get(shop.api_url + "stock_availables", params=params)

    assert response.status_code == 200
    assert_success_headers(response, "application/json")
    assert response.text == (
        '{"stock_availables":[{"id":21,"id_product":"7","id_product_attribute":"0","id_shop":"1",'
        '"quantity":"15"},{"id":22,"id_product":"7","id_product_attribute":"31","id_shop":"1",'
        '"quantity":"10"},{"id":23,"id_product":"7","id_product_attribute":"32","id_shop":"1",'
        '"quantity":"5"},{"id":24,"id_product":"8","id_product_attribute":"0","id_shop":"1",'
        '"quantity":"0"}]}'
    )


def test_9_2_same_query_matching_nothing_is_a_bare_empty_json_array(shop):
    params = {"display": "[id,quantity]", "filter[id_product]": "[999]", "output_format": "JSON"}
    response = shop.http.get(shop.api_url + "stock_availables", params=params)

    assert response.status_code == 200
    assert response.text == "[]"


def test_9_2_json_ints_option_returns_numbers_like_ps_8_1_on_php_8_1(simulator_factory):
    sim = simulator_factory(section9=True, json_ints=True)
    params = {"display": "[id,quantity,location]", "filter[id]": "[22]", "output_format": "JSON"}
    response = requests.get(
        sim.api_url + "stock_availables", params=params, auth=(KEY, ""), timeout=10
    )

    assert response.json() == {"stock_availables": [{"id": 22, "quantity": 10, "location": "A-01"}]}


def test_9_3_single_row_xml_and_its_falsy_stripped_json(shop):
    response = shop.http.get(shop.api_url + "stock_availables/24")

    assert response.status_code == 200
    assert_success_headers(response, "text/xml;charset=utf-8")
    assert as_shop_example(shop, response.text) == HEAD + row_xml(24, 8, 0, 0) + "</prestashop>\n"

    response = shop.http.get(shop.api_url + "stock_availables/24?output_format=JSON")
    assert (
        response.text
        == '{"stock_available":{"id":24,"id_product":"8","id_shop":"1","out_of_stock":"2"}}'
    )


def test_9_4_put_echoes_the_full_row_and_recomputes_the_product_row(shop):
    response = shop.http.put(
        shop.api_url + "stock_availables/22?id_shop=1",
        data=PUT_22,
        headers={"Content-Type": "application/xml"},
    )

    assert response.status_code == 200
    assert_success_headers(response, "text/xml;charset=utf-8")
    expected = HEAD + row_xml(22, 7, 31, 12, "A-01") + "</prestashop>\n"
    assert as_shop_example(shop, response.text) == expected
    assert shop.quantity(22) == 12
    assert shop.quantity(21) == 17
    assert shop.counters()["hook_events"] == [
        {"hook": "actionUpdateQuantity", "id_product": 7, "id_product_attribute": 0, "quantity": 17}
    ]


def test_9_5_patch_changes_only_the_quantity_of_a_simple_product_without_hook(shop):
    body = PATCH_24
    response = shop.http.patch(shop.api_url + "stock_availables/24", data=body)

    assert response.status_code == 200
    assert as_shop_example(shop, response.text) == HEAD + row_xml(24, 8, 0, 40) + "</prestashop>\n"
    assert shop.quantity(24) == 40
    assert shop.counters()["action_update_quantity"] == 0


def test_9_5_patch_on_1_7_answers_405_code_23(simulator_factory):
    sim = simulator_factory(section9=True, ps_version="1.7.8.11")
    body = PATCH_24
    response = requests.patch(
        sim.api_url + "stock_availables/24", data=body, auth=(KEY, ""), timeout=10
    )

    assert response.status_code == 405
    assert response.headers["PSWS-Version"] == "1.7.8.11"
    assert response.text == errors_xml((23, "Method PATCH is not valid"))
    assert sim.quantity(24) == 0


def test_9_6_unknown_key_gets_the_double_error_with_version_zero(shop):
    response = requests.get(
        shop.api_url + "stock_availables?ws_key=WRONGKEYWRONGKEYWRONGKEYWRONGKEY", timeout=10
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == REALM
    assert response.headers["PSWS-Version"] == "0"
    assert response.headers["Content-Type"] == "text/xml;charset=utf-8"
    assert "Content-Sha1" not in response.headers
    assert response.text == errors_xml(
        (20, "Authentification key is not active"),
        (21, "No permission for this authentication key"),
    )


def test_9_6_no_key_at_all_gets_plain_text_401(shop):
    response = requests.get(shop.api_url + "stock_availables", timeout=10)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == REALM
    assert response.text == "401 Unauthorized"
    assert "PSWS-Version" not in response.headers


def test_9_7_read_only_key_put_answers_405_code_25(shop):
    response = requests.put(
        shop.api_url + "stock_availables/22", data=PUT_22, auth=(shop.read_only_key, ""), timeout=10
    )

    assert response.status_code == 405
    assert response.headers["PSWS-Version"] == "8.1.7"
    assert response.text == errors_xml(
        (
            25,
            "Method PUT is not allowed for the resource stock_availables "
            "with this authentication key",
        )
    )
    assert shop.quantity(22) == 10


def test_9_8_unknown_id_gets_404_with_empty_body_and_write_gets_code_92(shop):
    response = shop.http.get(shop.api_url + "stock_availables/999999")

    assert response.status_code == 404
    assert response.content == b""
    assert response.headers.get("Content-Type", "") == ""
    assert response.headers["PSWS-Version"] == "8.1.7"

    body = PUT_22.replace("[22]", "[999999]")
    response = shop.http.put(shop.api_url + "stock_availables/999999", data=body)
    assert response.status_code == 404
    assert response.text == errors_xml((92, "Invalid ID"))


def test_9_9_validation_error_and_missing_field_in_json(shop):
    body = (
        "<prestashop><stock_available><id>22</id><id_product>7</id_product>"
        "<id_product_attribute>31</id_product_attribute><id_shop>1</id_shop>"
        "<id_shop_group>0</id_shop_group><quantity>12.5</quantity>"
        "<depends_on_stock>0</depends_on_stock><out_of_stock>2</out_of_stock>"
        "<location>A-01</location></stock_available></prestashop>"
    )
    url = shop.api_url + "stock_availables/22?output_format=JSON"
    response = shop.http.put(url, data=body)

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.text == (
        '{"errors":[{"code":85,"message":"Validation error: '
        '\\"Property StockAvailable-&gt;quantity is not valid\\""}]}'
    )
    response = shop.http.put(url, data=body.replace("<quantity>12.5</quantity>", ""))
    assert response.status_code == 400
    assert response.text == '{"errors":[{"code":41,"message":"parameter \\"quantity\\" required"}]}'
    assert shop.quantity(22) == 10


def test_9_10_unknown_filter_suggests_the_levenshtein_closest_field(shop):
    response = shop.http.get(shop.api_url + "stock_availables", params={"filter[qty]": "[5]"})

    # Section 9.10 shows the clean 400; a real 8.1.2 adds PHP warnings and answers 500 (59).
    first = errors_xml(
        (
            32,
            'This filter does not exist. Did you mean: "id"? The full list is: "id", "id_product", '
            '"id_product_attribute", "id_shop", "id_shop_group", "quantity", "depends_on_stock", '
            '"out_of_stock", "location"',
        )
    ).split("</error>")[0]
    assert response.status_code == 500
    assert response.text.startswith(first + "</error>\n<error>\n<code><![CDATA[3]]></code>")
