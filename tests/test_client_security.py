"""The API key stays secret, hostile XML is refused, TLS and auth fallbacks behave."""

import json
import logging

import pytest
import requests
import responses

from integrations.prestashop import (
    Failure,
    PrestaShopClient,
    ShopConfigError,
    ShopTemporaryError,
    UnexpectedResponse,
)
from integrations.prestashop.parsing import parse_body, parse_xml
from integrations.prestashop.transport import Transport
from tests.test_client_helpers import (
    API,
    BASIC,
    JSON,
    KEY,
    XML,
    add_stock_list,
    client,
    error_xml,
    query_of,
    stock,
    stock_json,
)

PLAIN_401 = {
    "status": 401,
    "body": "401 Unauthorized",
    "content_type": "text/html",
    "headers": {
        "WWW-Authenticate": 'Basic realm="Welcome to PrestaShop Webservice, please enter the '
        'authentication key as the login. No password required."'
    },
}
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">\n'
        for n in range(1, 10)
    )
    + "]>\n<prestashop><stock_availables>&lol9;</stock_availables></prestashop>"
)


def test_plain_401_switches_to_the_ws_key_parameter_for_the_rest_of_the_session(rsps):
    rsps.add(responses.GET, API + "stock_availables", **PLAIN_401)
    add_stock_list(rsps, stock_json([stock(21, 7, 0, 3)]))
    shop = client()

    first = shop.fetch_stock([7])
    second = shop.fetch_stock([7])

    assert first.rows[(7, 0)].quantity == second.rows[(7, 0)].quantity == 3
    assert (first.requests, second.requests) == (2, 1)
    basic, *with_key = [call.request for call in rsps.calls]
    assert basic.headers["Authorization"] == BASIC
    assert "ws_key" not in basic.url
    for request in with_key:
        assert "Authorization" not in request.headers
        assert query_of(request)["ws_key"] == KEY


def test_plain_401_even_with_ws_key_raises_config_error_without_the_key(rsps):
    rsps.add(responses.GET, API + "stock_availables", **PLAIN_401)

    with pytest.raises(ShopConfigError) as caught:
        client().fetch_stock([7])

    assert str(caught.value) == (
        "GET /api/stock_availables: the shop saw no API key at all: the web server drops the "
        "Authorization header and the ws_key parameter did not get through either (or a "
        "password protection in front of the shop wants its own login) "
        "(HTTP 401, '401 Unauthorized')"
    )
    assert len(rsps.calls) == 2


def test_the_key_is_in_no_error_message_and_no_log_record(rsps, caplog):
    caplog.set_level(logging.DEBUG)
    rsps.add(responses.GET, API + "stock_availables", **PLAIN_401)
    rsps.add(
        responses.GET,
        API + "stock_availables",
        body=requests.exceptions.ConnectionError(
            f"HTTPSConnectionPool: Max retries exceeded with url: /api/stock_availables"
            f"?ws_key={KEY} (Caused by NewConnectionError)"
        ),
    )
    rsps.add(
        responses.GET,
        API,
        status=401,
        content_type=XML,
        body=error_xml((20, f"Authentification key {KEY} is not active")),
    )
    shop = client()
    messages = []

    with pytest.raises(ShopTemporaryError) as connection:
        shop.fetch_stock([7])
    messages.append(str(connection.value))
    with pytest.raises(ShopConfigError) as refused:
        shop.check_access()
    messages.append(str(refused.value))

    assert "ws_key=***" in messages[0]
    assert "Authentification key *** is not active" in messages[1]
    logged = [r.getMessage() for r in caplog.records]
    assert any("ws_key parameter from now on" in m for m in logged)
    for text in messages + logged:
        assert KEY not in text
        assert BASIC.split()[1] not in text
    assert connection.value.__cause__ is None  # the masked message replaces the cause
    assert connection.value.__suppress_context__


def test_urllib3_debug_lines_have_the_ws_key_masked(caplog):
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")

    logging.getLogger("urllib3.connectionpool").debug(
        '%s://%s:%s "%s %s %s" %s %s',
        "https",
        "shop.example",
        443,
        "GET",
        f"/api/stock_availables?ws_key={KEY}&limit=0%2C1000",
        "HTTP/1.1",
        200,
        10,
    )

    assert caplog.records[-1].getMessage() == (
        'https://shop.example:443 "GET /api/stock_availables?ws_key=***&limit=0%2C1000 '
        'HTTP/1.1" 200 10'
    )


def test_an_entity_bomb_is_refused_without_expanding(rsps):
    rsps.add(responses.GET, API + "stock_availables", body=BILLION_LAUGHS, content_type=XML)

    with pytest.raises(UnexpectedResponse, match="declares a DTD or entities; refused"):
        client().fetch_stock([7])


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<prestashop>&x;</prestashop>",
        b"\xef\xbb\xbf  <!DOCTYPE prestashop><prestashop/>",
        b'<!DOCTYPE prestashop SYSTEM "http://evil.example/x.dtd"><prestashop/>',
        # A comment holding something like a tag before the DOCTYPE fooled the old regex.
        b'<?xml version="1.0"?><!-- <a --><!DOCTYPE p [<!ENTITY x "y">]><prestashop>&x;'
        b"</prestashop>",
        b'<?pi <b?><!DOCTYPE p [<!ENTITY x "y">]><prestashop>&x;</prestashop>',
        b'<?xml version="1.0" encoding="windows-1250"?><!-- <a --><!DOCTYPE p [<!ENTITY x "y">]>'
        b"<prestashop>&x;</prestashop>",
    ],
)
def test_any_doctype_or_entity_declaration_is_refused(body):
    with pytest.raises(UnexpectedResponse, match="declares a DTD or entities") as caught:
        parse_xml(body)

    assert caught.value.kind == Failure.DOCTYPE


def test_a_lowercase_doctype_is_not_xml_and_is_refused_as_broken():
    with pytest.raises(UnexpectedResponse, match="XML is broken") as caught:
        parse_xml(b"\xef\xbb\xbf  <!doctype prestashop><prestashop/>")

    assert caught.value.kind == Failure.BROKEN_BODY


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param(JSON, "[" * 200_000 + "]" * 200_000, id="json-200000-deep"),
        pytest.param(JSON, '{"a":' * 65 + "1" + "}" * 65, id="json-65-deep"),
        pytest.param(XML, "<prestashop>" + "<a>" * 300 + "</a>" * 300 + "</prestashop>", id="xml"),
    ],
)
def test_a_body_nested_deeper_than_any_webservice_reply_is_refused(rsps, content_type, body):
    add_stock_list(rsps, body, content_type=content_type)

    with pytest.raises(UnexpectedResponse) as caught:
        client().fetch_stock([7])

    assert caught.value.kind == Failure.OVER_LIMITS
    assert "deeper than 64 levels" in str(caught.value) or "Excessive depth" in str(caught.value)


def test_a_flat_json_body_with_more_values_than_any_page_is_refused_before_decoding(rsps):
    add_stock_list(rsps, "[" + "[]," * 500_000 + "[]]")

    with pytest.raises(UnexpectedResponse, match="more than 500000 values") as caught:
        client().fetch_stock([7])

    assert caught.value.kind == Failure.OVER_LIMITS


def test_brackets_inside_json_strings_do_not_count_as_nesting():
    body = json.dumps({"stock_availables": [{"location": "[[[[{{{{" * 100, "q": '\\"['}]})

    document = parse_body(body.encode(), JSON)

    assert document["stock_availables"][0]["location"].startswith("[[[[")


def test_doctype_text_inside_a_value_is_only_data():
    root = parse_xml(b"<prestashop><location><![CDATA[<!DOCTYPE x>]]></location></prestashop>")

    assert root.findtext("location") == "<!DOCTYPE x>"


def test_a_reply_over_the_size_cap_is_refused(rsps, monkeypatch):
    monkeypatch.setattr(Transport, "max_body_bytes", 2048)
    rows = [stock(i, 7, i, 1) for i in range(1, 60)]
    add_stock_list(rsps, stock_json(rows))

    with pytest.raises(UnexpectedResponse, match="larger than 2048 bytes; refused"):
        client().fetch_stock([7])


def test_tls_verification_off_is_sent_and_warned_about_once(rsps, caplog):
    caplog.set_level(logging.WARNING, logger="integrations.prestashop")
    url = "https://insecure-test-shop.example/"
    rsps.add(
        responses.GET, url + "api/stock_availables", body="[]", content_type="application/json"
    )

    first = PrestaShopClient(url, KEY, verify_tls=False)
    PrestaShopClient(url + "api/", KEY, verify_tls=False)
    first.fetch_stock([1])

    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        "TLS certificate checks are OFF for shop insecure-test-shop.example (test shops only)"
    ]
    assert rsps.calls[0].request.req_kwargs["verify"] is False


def test_a_shop_url_under_a_folder_keeps_its_path_and_an_api_suffix_is_tolerated(rsps):
    rsps.add(
        responses.GET,
        "https://host.example/sklep/api/stock_availables",
        body="[]",
        content_type="application/json",
    )

    PrestaShopClient("https://host.example/sklep/api", KEY).fetch_stock([1])
    PrestaShopClient("https://host.example/sklep", KEY).fetch_stock([1])

    assert len(rsps.calls) == 2


def test_closing_a_client_leaves_a_session_it_was_given_open():
    session = requests.Session()
    closed = []
    session.close = lambda: closed.append(True)

    with PrestaShopClient("https://shop.example/", KEY, session=session):
        pass
    own = PrestaShopClient("https://shop.example/", KEY)
    own._transport.session.close = lambda: closed.append("own")
    own.close()

    assert closed == ["own"]


def test_proxy_and_ca_bundle_variables_are_read_once_when_the_client_is_built(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/shop-ca.pem")
    client = PrestaShopClient("https://shop.example/", KEY)
    transport = client._transport
    assert transport.session.trust_env is False
    assert transport.session.proxies["https"] == "http://127.0.0.1:3128"
    assert transport.verify_tls == "/etc/ssl/certs/shop-ca.pem"
