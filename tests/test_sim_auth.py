"""Authentication, permissions and bad parameters answer as section 1.3 and 2.3 say."""

import pytest
import requests

from tests.fixtures.sim_requests import KEY, get


@pytest.fixture
def shop(simulator_section9):
    return simulator_section9


def errors_of(response):
    """[(code, message)] of an XML or JSON error body."""
    if response.headers.get("Content-Type") == "application/json":
        return [(e["code"], e["message"]) for e in response.json()["errors"]]
    from lxml import etree

    root = etree.fromstring(response.content)
    return [(int(e.findtext("code")), e.findtext("message")) for e in root.iter("error")]


@pytest.mark.parametrize(
    ("key", "codes"),
    [
        ("", [17]),
        ("SHORTKEY", [18]),
        ("DISABLEDDISABLEDDISABLEDDISABLED", [20, 21]),
        ("NOPERMISSIONNOPERMISSIONNOPERMIS", [21]),
    ],
)
def test_bad_keys_get_401_with_realm_and_version_zero(shop, key, codes):
    response = get(shop, "stock_availables", key=key)

    assert response.status_code == 401
    assert [code for code, _ in errors_of(response)] == codes
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="Welcome to PrestaShop')
    assert response.headers["PSWS-Version"] == "0"


def test_key_in_ws_key_works_and_basic_user_wins_over_it(shop):
    by_query = requests.get(
        shop.api_url + "stock_availables/24", params={"ws_key": KEY}, timeout=10
    )
    both = requests.get(
        shop.api_url + "stock_availables/24",
        params={"ws_key": KEY},
        auth=("WRONG" * 6 + "XY", ""),
        timeout=10,
    )

    assert by_query.status_code == 200
    assert both.status_code == 401


def test_dispatcher_route_answers_like_api_route(shop):
    direct = get(shop, "stock_availables/22", output_format="JSON")
    dispatched = requests.get(
        shop.url + "webservice/dispatcher.php",
        params={"url": "stock_availables/22", "output_format": "JSON"},
        auth=(KEY, ""),
        timeout=10,
    )

    assert dispatched.status_code == 200
    assert dispatched.json() == direct.json()


def test_resource_without_permission_is_401_code_26_after_authentication(shop):
    response = get(shop, "orders")

    assert response.status_code == 401
    assert errors_of(response) == [
        (26, 'Resource of type "orders" is not allowed with this authentication key')
    ]
    assert response.headers["PSWS-Version"] == "8.1.7"
    assert "WWW-Authenticate" not in response.headers


def test_unknown_resource_is_400_code_27_with_did_you_mean(shop):
    response = get(shop, "stock_available")

    ((code, message),) = errors_of(response)
    assert response.status_code == 400
    assert code == 27
    assert message.startswith(
        'Resource of type "stock_available" does not exists. Did you mean: "stock_availables"? '
        'The full list is: "addresses", "attachments",'
    )


@pytest.mark.parametrize(
    ("method", "status", "code", "message"),
    [
        ("POST", 405, 101, "Method POST is not allowed for the resource stock_availables"),
        ("DELETE", 405, 101, "Method DELETE is not allowed for the resource stock_availables"),
        ("FOO", 405, 23, "Method FOO is not valid"),
    ],
)
def test_forbidden_and_unknown_methods(shop, method, status, code, message):
    response = requests.post(
        shop.api_url + "stock_availables/22",
        params={"ps_method": method},
        auth=(KEY, ""),
        timeout=10,
    )

    assert response.status_code == status
    assert errors_of(response) == [(code, message)]


def test_errors_follow_the_requested_output_format(shop):
    response = get(shop, "stock_availables", key="SHORTKEY", output_format="JSON")

    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": [{"code": 18, "message": "Invalid authentication key format"}]
    }


def test_lowercase_json_output_format_still_gives_xml(shop):
    response = get(shop, "stock_availables/24", output_format="json")

    assert response.headers["Content-Type"] == "text/xml;charset=utf-8"


def test_io_format_header_selects_json(shop):
    response = requests.get(
        shop.api_url + "stock_availables/24",
        headers={"Io-Format": "JSON"},
        auth=(KEY, ""),
        timeout=10,
    )

    assert response.json()["stock_available"]["id"] == 24


def test_disabled_webservice_answers_503_code_22(simulator_factory):
    sim = simulator_factory(section9=True, webservice_enabled=False)
    response = get(sim, "stock_availables")

    assert response.status_code == 503
    assert errors_of(response) == [
        (
            22,
            "The PrestaShop webservice is disabled. "
            "Please activate it in the PrestaShop Back Office",
        )
    ]
    assert response.headers["PSWS-Version"] == "0"


def test_api_index_lists_key_permissions_with_patch_only_on_8(shop, simulator_factory):
    full = get(shop, "")
    read_only = get(shop, "", key=shop.read_only_key)
    legacy = get(simulator_factory(section9=True, ps_version="1.7.8.11"), "")

    assert '<stock_availables xlink:href="' in full.text
    assert 'get="true" put="true" post="true" patch="true" delete="true" head="true"' in full.text
    assert 'get="true" put="false" post="false" patch="false" delete="false" head="true"' in (
        read_only.text
    )
    assert "patch=" not in legacy.text
    assert "<orders " not in full.text


def test_shop_context_errors(shop):
    assert errors_of(get(shop, "stock_availables", id_shop="abc")) == [
        (999, "This shop id does not exist")
    ]
    response = get(shop, "stock_availables", id_shop="5")
    assert response.status_code == 403
    assert errors_of(response) == [(132, "No permission for this key on this shop")]
    response = get(shop, "stock_availables", id_shop_group="9")
    assert response.status_code == 500
    assert errors_of(response) == [(999, "This shop group doesn't have shops")]


@pytest.mark.parametrize(
    ("params", "code", "start"),
    [
        ({"filter[quantity]": ""}, 33, 'The filter "quantity" is malformed.'),
        ({"filter[foo][x]": "1"}, 31, "There is no existing linked table for this resource"),
        ({"display": "[id,qty]"}, 35, 'Unable to display this field "qty". However, these are'),
        ({"display": "id,quantity"}, 36, "The 'display' syntax is wrong."),
        ({"sort": "[id_UP]"}, 37, 'The "sort" value has to be formed as this example'),
        ({"sort": "[qty_ASC]"}, 38, "Unable to filter by this field. However, these are"),
        ({"limit": "1,2,3"}, 39, 'The "limit" value has to be formed as this example: "5,25"'),
        ({"schema": "full"}, 28, "Please select a schema of type 'synopsis'"),
    ],
)
def test_bad_list_parameters_get_500_with_their_code_then_php_warnings_on_8(
    shop, simulator_factory, params, code, start
):
    response = get(shop, "stock_availables", **params)
    legacy = get(
        simulator_factory(section9=True, ps_version="1.7.8.11"), "stock_availables", **params
    )

    (got_code, message), *warnings = errors_of(response)
    assert (response.status_code, got_code) == (500 if warnings else 400, code)
    assert message.startswith(start)
    assert [c for c, _ in warnings] == ([] if code == 28 else [3, 3, 3, 3])
    assert all("Trying to access array offset on value of type bool" in m for _, m in warnings)
    assert legacy.status_code == 400
    assert [c for c, _ in errors_of(legacy)] == [code]


def test_filter_on_dynamic_product_field_is_code_34(shop):
    response = get(shop, "products", **{"filter[quantity]": "[5]"})

    assert errors_of(response)[0] == (
        34,
        'The field "quantity" is dynamic. It is not possible to filter GET query with this field.',
    )


def test_sort_error_lists_plain_and_i18n_fields(shop):
    response = get(shop, "stock_availables", sort="[qty_ASC]")

    assert errors_of(response)[0][1] == (
        "Unable to filter by this field. However, these are available: id, id_product, "
        "id_product_attribute, id_shop, id_shop_group, quantity, depends_on_stock, out_of_stock, "
        "location, for i18n fields:"
    )
