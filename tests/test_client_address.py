"""The webservice address with URL rewriting (/api/...) and without (dispatcher.php?url=...),
replayed against the real 8.1.2 shop's recorded bytes (transcripts orders/113-147)."""

import pytest
import responses

from integrations.prestashop import (
    NO_RETRIES,
    PrestaShopClient,
    ShopConfigError,
    StockRowNotFound,
    parse_address,
)
from integrations.prestashop.access import NO_URL_REWRITING
from integrations.prestashop.address import API, DISPATCHER
from tests.fixtures.transcripts import load, replay
from tests.test_client_helpers import BASIC, JSON, KEY, V8, XML, error_xml, query_of, stock

SHOP = "http://127.0.0.1:8099/"
DISPATCHER_URL = SHOP + "webservice/dispatcher.php"
ROW_7, ROW_8 = stock(7, 7, 0, 72), stock(8, 8, 0, 82)


def client(base=DISPATCHER_URL, **options) -> PrestaShopClient:
    options.setdefault("retry", NO_RETRIES)
    return PrestaShopClient(base, KEY, **options)


def target_of(call) -> str:
    """The request target as it went on the request line."""
    url = call.request.url
    return url[url.index("/", len("http://")) :]


@pytest.mark.parametrize(
    ("entered", "form", "root"),
    [
        ("https://sklep.pl", API, "https://sklep.pl/api/"),
        ("https://sklep.pl/", API, "https://sklep.pl/api/"),
        ("https://sklep.pl/api", API, "https://sklep.pl/api/"),
        (" https://sklep.pl/shop/api/ ", API, "https://sklep.pl/shop/api/"),
        (
            "https://sklep.pl/webservice/dispatcher.php",
            DISPATCHER,
            "https://sklep.pl/webservice/dispatcher.php",
        ),
        (
            "https://sklep.pl/shop/webservice/dispatcher.php?url=",
            DISPATCHER,
            "https://sklep.pl/shop/webservice/dispatcher.php",
        ),
        (
            "https://sklep.pl/webservice/Dispatcher.PHP/",
            DISPATCHER,
            "https://sklep.pl/webservice/Dispatcher.PHP",
        ),
    ],
)
def test_the_form_is_decided_by_the_address_entered(entered, form, root):
    address = parse_address(entered)

    assert (address.form, address.root) == (form, root)


def test_targets_of_both_forms_put_the_resource_where_the_shop_reads_it():
    api, dispatcher = parse_address(SHOP), parse_address(DISPATCHER_URL)
    params = [("display", "[id,quantity]"), ("filter[date_upd]", "[2026-01-01 00:00:00,x]")]

    assert api.target("stock_availables/1") == "/api/stock_availables/1"
    assert dispatcher.target("stock_availables/1") == (
        "/webservice/dispatcher.php?url=stock_availables/1"
    )
    assert dispatcher.target("") == "/webservice/dispatcher.php?url="
    assert dispatcher.target("stock_availables", params) == (
        "/webservice/dispatcher.php?url=stock_availables&display=%5Bid,quantity%5D"
        "&filter%5Bdate_upd%5D=%5B2026-01-01%2000%3A00%3A00,x%5D"
    )
    assert api.dispatcher_form() == dispatcher


def test_a_stock_read_without_rewriting_sends_url_first_then_the_usual_query(rsps):
    rsps.add(responses.GET, DISPATCHER_URL, body="[]", content_type=JSON, headers=V8)

    read = client(shop_id=1).fetch_stock([7, 8])

    assert read.missing_products == frozenset({7, 8})
    target = target_of(rsps.calls[0])
    assert target.startswith(
        "/webservice/dispatcher.php?url=stock_availables&display=%5Bid,id_product,"
    )
    assert query_of(rsps.calls[0])["filter[id_product]"] == "[7|8]"
    assert query_of(rsps.calls[0])["id_shop"] == "1"


def test_a_write_without_rewriting_is_transcript_116_byte_for_byte(rsps):
    rsps.add(responses.GET, DISPATCHER_URL, body="[]", content_type=JSON, headers=V8)
    replay(rsps, responses.PATCH, DISPATCHER_URL, load(116))
    shop = client()
    shop.fetch_stock([1])  # learns the version from the read

    saved = shop.write_quantity(stock(1, 1, 0, 179), 180)

    recorded = load(116)
    patch = rsps.calls[1]
    assert (patch.request.method, target_of(patch)) == (recorded.method, recorded.target)
    assert patch.request.body == recorded.body
    assert saved == stock(1, 1, 0, 180)


def test_a_row_read_without_rewriting_is_transcript_117s_request(rsps):
    replay(rsps, responses.GET, DISPATCHER_URL, load(117))

    row = client().fetch_row(1)

    assert target_of(rsps.calls[0]) == load(117).target
    assert row == stock(1, 1, 0, 180)


def test_a_multi_row_write_without_rewriting_goes_to_url_stock_availables(rsps):
    replay(rsps, responses.GET, DISPATCHER_URL, load(120))
    replay(rsps, responses.PATCH, DISPATCHER_URL, load(30))
    shop = client()
    shop.check_access()

    result = shop.write_quantities([(ROW_7, 73), (ROW_8, 83)])

    assert target_of(rsps.calls[1]) == "/webservice/dispatcher.php?url=stock_availables"
    assert rsps.calls[1].request.body == load(30).body
    assert set(result.written) == {7, 8}


def test_errors_without_rewriting_name_the_dispatcher_and_the_resource(rsps):
    rsps.add(responses.GET, DISPATCHER_URL, body="[]", content_type=JSON, headers=V8)
    body = error_xml((92, "Invalid ID"))
    rsps.add(responses.PATCH, DISPATCHER_URL, body=body, status=404, content_type=XML)
    shop = client()
    shop.fetch_stock([13])

    with pytest.raises(StockRowNotFound) as caught:
        shop.write_quantity(stock(999999, 13), 5)

    assert str(caught.value).startswith(
        "PATCH /webservice/dispatcher.php?url=stock_availables/999999: stock row 999999 "
    )


def test_the_ws_key_fallback_without_rewriting_keeps_url_first(rsps):
    rsps.add(responses.GET, DISPATCHER_URL, body="401 Unauthorized", status=401)
    rsps.add(responses.GET, DISPATCHER_URL, body="[]", content_type=JSON, headers=V8)

    client().fetch_stock([7])

    first, second = rsps.calls
    assert first.request.headers["Authorization"] == BASIC
    assert "Authorization" not in second.request.headers
    assert target_of(second).startswith("/webservice/dispatcher.php?url=stock_availables&")
    assert target_of(second).endswith(f"&ws_key={KEY}")


# -- the connection test --------------------------------------------------------------------


def test_the_access_check_without_rewriting_reads_the_xml_list_at_url_empty(rsps):
    replay(rsps, responses.GET, DISPATCHER_URL, load(120))

    report = client().check_access()

    # The JSON root is an empty 500 on both forms (10, 121): the XML one is asked for.
    assert target_of(rsps.calls[0]) == load(120).target == "/webservice/dispatcher.php?url="
    assert load(121).answer.status == 500
    assert load(121).answer.body == b""
    assert (report.address_form, report.endpoint) == (DISPATCHER, DISPATCHER_URL)
    assert report.version == "8.1.2"
    assert report.problems == []
    assert {"GET", "PUT", "PATCH"} <= report.resources["stock_availables"]


def test_the_access_check_with_rewriting_reports_the_api_form(rsps):
    replay(rsps, responses.GET, SHOP + "api/", load(120))

    report = client(SHOP).check_access()

    assert target_of(rsps.calls[0]) == "/api/"
    assert (report.address_form, report.endpoint) == (API, SHOP + "api/")


def test_an_api_path_not_rewritten_is_found_at_the_dispatcher_and_named_a_problem(rsps):
    replay(rsps, responses.GET, SHOP + "api/", load(146))  # the shop's HTML 404 page
    replay(rsps, responses.GET, DISPATCHER_URL, load(120))
    shop = client(SHOP)

    report = shop.check_access()

    assert [target_of(c) for c in rsps.calls] == ["/api/", "/webservice/dispatcher.php?url="]
    assert report.problems == [NO_URL_REWRITING]
    assert (report.address_form, report.endpoint) == (DISPATCHER, DISPATCHER_URL)
    assert shop._transport.address.form == API  # the entered address still decides


def test_a_404_on_both_forms_is_the_first_404(rsps):
    replay(rsps, responses.GET, SHOP + "api/", load(146))
    replay(rsps, responses.GET, DISPATCHER_URL, load(146))

    with pytest.raises(ShopConfigError) as caught:
        client(SHOP).check_access()

    assert caught.value.status == 404
    assert str(caught.value).startswith("GET /api/: no webservice at this address")


def test_a_key_refused_at_the_dispatcher_is_what_the_operator_must_fix_first(rsps):
    replay(rsps, responses.GET, SHOP + "api/", load(146))
    body = error_xml((20, "Authentification key is not active"), (21, "No permission"))
    rsps.add(responses.GET, DISPATCHER_URL, body=body, status=401, content_type=XML)

    with pytest.raises(ShopConfigError) as caught:
        client(SHOP).check_access()

    assert (caught.value.status, caught.value.codes) == (401, [20, 21])
    assert str(caught.value).startswith("GET /webservice/dispatcher.php?url=: ")
