"""The webservice reached without URL rewriting, and the shop-domain redirect (orders/113-147)."""

import requests

from tests.fixtures.sim_requests import KEY

PATCH_24 = (
    "<prestashop><stock_available><id>24</id><quantity>9</quantity></stock_available></prestashop>"
)


def dispatcher(sim, method="GET", *, data=None, auth=None, **params):
    return requests.request(
        method,
        sim.url + "webservice/dispatcher.php",
        params=params,
        data=data,
        auth=auth,
        allow_redirects=False,
        timeout=10,
    )


def test_patch_through_the_dispatcher_with_ws_key_writes_and_links_point_at_api(simulator_section9):
    response = dispatcher(
        simulator_section9, "PATCH", data=PATCH_24, url="stock_availables/24", ws_key=KEY
    )

    assert response.status_code == 200
    assert simulator_section9.quantity(24) == 9
    assert f'xlink:href="{simulator_section9.url}api/products/8"' in response.text


def test_no_url_or_an_empty_one_is_the_resource_index_and_its_json_a_php_fatal(simulator_section9):
    auth = (KEY, "")
    no_url = dispatcher(simulator_section9, auth=auth)
    empty = dispatcher(simulator_section9, auth=auth, url="")
    as_json = dispatcher(simulator_section9, auth=auth, output_format="JSON")

    assert no_url.status_code == empty.status_code == 200
    assert no_url.content == empty.content
    assert '<api shopName="invsync test shop">' in no_url.text
    assert (as_json.status_code, as_json.content) == (500, b"")
    assert as_json.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "PSWS-Version" not in as_json.headers


def test_1_7_still_lists_the_index_as_json(simulator_factory):
    sim = simulator_factory(section9=True, ps_version="1.7.8.11")
    response = requests.get(
        sim.api_url, params={"output_format": "JSON"}, auth=(KEY, ""), timeout=10
    )

    assert response.status_code == 200
    assert "stock_availables" in response.json()


def test_another_host_is_redirected_to_the_shop_domain_and_nothing_runs(simulator_factory):
    sim = simulator_factory(section9=True, shop_domain="shop.example:8099")
    listed = requests.get(
        sim.api_url + "stock_availables",
        params={"filter[id_product]": "[7|8]", "display": "[id,quantity]"},
        auth=(KEY, ""),
        allow_redirects=False,
        timeout=10,
    )
    write = dispatcher(sim, "PATCH", data=PATCH_24, url="stock_availables/24", ws_key=KEY)
    at_home = requests.patch(
        sim.api_url + "stock_availables/24",
        data=PATCH_24,
        auth=(KEY, ""),
        headers={"Host": "shop.example:8099"},
        timeout=10,
    )

    assert listed.status_code == 302
    assert listed.headers["Location"] == (
        "http://shop.example:8099/?url=stock_availables"
        "&filter%5Bid_product%5D=%5B7%7C8%5D&display=%5Bid%2Cquantity%5D"
    )
    assert listed.content == b""
    assert write.status_code == 302
    assert write.headers["Location"] == (
        f"http://shop.example:8099/?url=stock_availables%2F24&ws_key={KEY}"
    )
    assert at_home.status_code == 200
    assert "http://shop.example:8099/api/products/8" in at_home.text
    assert sim.counters()["stock_row_saves"] == 1


def test_without_rewriting_api_paths_are_the_shops_404_page(simulator_factory):
    sim = simulator_factory(section9=True, url_rewriting=False)
    api = requests.get(sim.api_url + "stock_availables/24", auth=(KEY, ""), timeout=10)
    through_dispatcher = dispatcher(sim, url="stock_availables/24", ws_key=KEY)

    assert api.status_code == 404
    assert api.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>404 error</title>" in api.text
    assert through_dispatcher.status_code == 200
