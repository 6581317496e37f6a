"""Every failure of the PrestaShop client is a typed error with a clear message."""

import pickle
import ssl
from datetime import UTC, datetime

import pytest
import requests
import responses
import urllib3
from urllib3.exceptions import MaxRetryError, NewConnectionError

from integrations.prestashop import (
    Failure,
    PrestaShopError,
    RateLimited,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRowNotFound,
    UnexpectedResponse,
    WriteNotApplied,
)
from integrations.prestashop.failures import parse_retry_after
from tests.test_client_helpers import (
    API,
    JSON,
    KEY,
    XML,
    RecordingLimiter,
    client,
    error_xml,
    stock,
    stock_read_error,
    stock_xml,
)

# What requests raises when nothing listens on the port (the socket error wrapped twice).
REFUSED = requests.exceptions.ConnectionError(
    MaxRetryError(
        None,
        "/api/stock_availables",
        NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused"),
    )
)
V0 = {"PSWS-Version": "0"}
HTML_503 = (
    "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
    "<body><h1>Service Unavailable</h1><p>The server is temporarily busy.</p></body></html>"
)


@pytest.mark.parametrize(
    ("codes", "reason"),
    [
        ([(17, "Authentication key is empty")], "the API key is empty"),
        (
            [(18, "Invalid authentication key format")],
            "the API key has the wrong format (PrestaShop keys are 32 characters)",
        ),
        (
            [
                (20, "Authentification key is not active"),
                (21, "No permission for this authentication key"),
            ],
            "the API key is unknown or disabled in the shop; the API key has no permissions",
        ),
        (
            [
                (
                    26,
                    'Resource of type "stock_availables" is not allowed with this authentication '
                    "key",
                )
            ],
            "the API key may not use this resource",
        ),
    ],
)
def test_a_refused_key_raises_config_error_naming_the_reason(rsps, codes, reason):
    reply = {"body": error_xml(*codes), "status": 401, "content_type": XML, "headers": V0}

    error = stock_read_error(rsps, ShopConfigError, **reply)

    assert str(error).startswith(f"GET /api/stock_availables: {reason} (HTTP 401, code ")
    assert error.status == 401
    assert error.codes == [code for code, _ in codes]


def test_a_failed_reply_does_not_set_the_version(rsps):
    for url in (API + "stock_availables", API):
        rsps.add(
            responses.GET,
            url,
            body=error_xml((21, "No permission")),
            status=401,
            content_type=XML,
            headers=V0,
        )
    shop = client()

    with pytest.raises(ShopConfigError):
        shop.fetch_stock([7])
    with pytest.raises(ShopConfigError):
        shop.version()
    assert shop.requests_sent == 2


def test_a_key_not_allowed_on_the_shop_raises_config_error(rsps):
    body = error_xml((132, "No permission for this key on this shop"))

    stock_read_error(
        rsps,
        ShopConfigError,
        shop=client(shop_id=2),
        match=r"not allowed on this shop \(multistore\)",
        status=403,
        content_type=XML,
        body=body,
    )


@pytest.mark.parametrize(
    ("status", "content_type", "body", "error", "message"),
    [
        pytest.param(
            503,
            XML,
            error_xml(
                (
                    22,
                    "The PrestaShop webservice is disabled. Please activate it in the "
                    "PrestaShop Back Office",
                )
            ),
            ShopConfigError,
            "webservice is disabled in the shop's back office",
            id="disabled-webservice-is-config",
        ),
        pytest.param(
            400,
            XML,
            error_xml(
                (
                    35,
                    'Unable to display this field "location". However, these are available: '
                    "id, id_product",
                )
            ),
            ShopConfigError,
            'Unable to display this field "location"',
            id="unknown-display-field-is-config",
        ),
        pytest.param(
            200,
            "text/plain",
            REFUSED,
            ShopTemporaryError,
            r"cannot connect to the shop at shop\.example",
            id="connection-error-is-temporary",
        ),
    ],
)
def test_a_failed_stock_read_raises_the_error_type_for_what_comes_next(
    rsps, status, content_type, body, error, message
):
    reply = {"body": body, "status": status, "content_type": content_type}

    stock_read_error(rsps, error, match=message, **reply)


def test_an_html_503_page_raises_temporary_error_with_its_title(rsps):
    reply = {"body": HTML_503, "status": 503, "content_type": "text/html"}

    error = stock_read_error(rsps, ShopTemporaryError, **reply)

    assert type(error) is ShopTemporaryError
    assert str(error) == (
        "GET /api/stock_availables: the shop failed (HTTP 503, '503 Service Unavailable')"
    )
    assert error.codes == []


def test_a_500_with_prestashop_errors_carries_codes_and_messages(rsps):
    body = '{"errors":[{"code":46,"message":"Unable to save resource"}]}'

    error = stock_read_error(rsps, ShopTemporaryError, status=500, content_type=JSON, body=body)

    assert error.codes == [46]
    assert "(HTTP 500, code 46: Unable to save resource)" in str(error)


def test_a_parameter_error_hidden_in_a_500_by_php_warnings_is_a_config_error(rsps):
    body = error_xml(
        (32, 'This filter does not exist. Did you mean: "id"?'),
        (8, "[PHP Notice #8] Trying to access array offset on value of type bool"),
    )

    error = stock_read_error(
        rsps,
        ShopConfigError,
        match="rejected the request's parameters",
        body=body,
        status=500,
        content_type=XML,
    )

    assert error.codes == [32, 8]


def test_a_404_page_on_a_list_means_a_wrong_shop_url(rsps):
    page = "<html><head><title>404 Not Found</title></head></html>"

    error = stock_read_error(rsps, ShopConfigError, status=404, content_type="text/html", body=page)

    assert str(error) == (
        "GET /api/stock_availables: no webservice at this address (check the shop URL) "
        "(HTTP 404, '404 Not Found')"
    )


def test_a_404_with_empty_body_on_a_row_raises_stock_row_not_found(rsps):
    rsps.add(responses.GET, API + "stock_availables/999999", status=404, body="", content_type="")

    with pytest.raises(StockRowNotFound) as caught:
        client().fetch_row(999999)

    assert caught.value.stock_id == 999999
    assert str(caught.value) == (
        "GET /api/stock_availables/999999: stock row 999999 does not exist in this shop "
        "(empty body)"
    )


def test_a_redirect_is_not_followed_and_names_the_new_address(rsps):
    location = "https://www.shop.example/api/stock_availables?x=1"

    stock_read_error(
        rsps,
        ShopConfigError,
        match=r"redirects its webservice to "
        r"'https://www.shop.example/api/stock_availables'; use that address",
        status=301,
        body="",
        headers={"Location": location},
    )

    assert len(rsps.calls) == 1


def test_429_with_retry_after_seconds_backs_the_limiter_off_and_raises(rsps):
    limiter = RecordingLimiter()

    error = stock_read_error(
        rsps,
        RateLimited,
        shop=client(limiter=limiter),
        status=429,
        body="Too Many Requests",
        content_type="text/plain",
        headers={"Retry-After": "30"},
    )

    assert error.retry_after == 30.0
    assert limiter.backoffs == [30.0]
    assert str(error) == (
        "GET /api/stock_availables: the shop is rate limiting (HTTP 429, Retry-After 30 s)"
    )
    assert isinstance(error, ShopTemporaryError)


def test_429_with_an_http_date_gives_the_seconds_until_then(rsps):
    limiter = RecordingLimiter()
    until = {"Retry-After": "Fri, 31 Dec 2099 23:59:59 GMT"}

    error = stock_read_error(
        rsps, RateLimited, shop=client(limiter=limiter), status=429, body="", headers=until
    )

    assert error.retry_after > 365 * 24 * 3600  # decades ahead, whatever today is
    assert limiter.backoffs == [error.retry_after]


def test_429_without_retry_after_reports_none(rsps):
    limiter = RecordingLimiter()

    error = stock_read_error(rsps, RateLimited, shop=client(limiter=limiter), status=429, body="")

    assert error.retry_after is None
    assert limiter.backoffs == [None]
    assert "no Retry-After" in str(error)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("Wed, 12 Jun 2024 10:00:30 GMT", 30.0),
        ("Wed, 12 Jun 2024 09:59:00 GMT", 0.0),  # in the past: no wait
        ("Wed, 12 Jun 2024 10:00:10 -0000", 10.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_retry_after_is_parsed_as_seconds_or_http_date(header, seconds):
    now = datetime(2024, 6, 12, 10, 0, 0, tzinfo=UTC).timestamp()

    assert parse_retry_after(header, now=now) == seconds


def test_a_read_timeout_raises_temporary_error(rsps):
    timeout = requests.exceptions.ReadTimeout("x")

    error = stock_read_error(
        rsps, ShopTemporaryError, shop=client(timeout=(3.0, 20.0)), body=timeout
    )

    assert str(error) == (
        "GET /api/stock_availables: the shop at shop.example did not answer in time "
        "(timeouts 3 s connect, 20 s read)"
    )


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        pytest.param(
            "text/html",
            HTML_503,
            "HTML page instead of webservice data: '503 Service Unavailable'",
            id="html-page-with-200",
        ),
        pytest.param(
            XML, stock_xml([stock(21, 7, 0, 5)])[:-60], "XML is broken or cut off", id="cut-xml"
        ),
        pytest.param(
            JSON,
            '{"stock_availables":[{"id":21,"id_product":"7"',
            "JSON is broken or cut off",
            id="cut-json",
        ),
        pytest.param(
            "text/plain",
            "quantity=5",
            "content type 'text/plain', not XML or JSON",
            id="wrong-content-type",
        ),
        pytest.param(
            JSON,
            'Deprecated: foo() is deprecated\n{"stock_availables":[]}',
            "'Deprecated: foo\\(\\) is deprecated'",
            id="php-output-before-json",
        ),
        pytest.param(
            XML, "<html><body/></html>", "root <html>, not <prestashop>", id="root-not-prestashop"
        ),
    ],
)
def test_a_reply_that_is_not_webservice_data_raises_unexpected_response(
    rsps, content_type, body, message
):
    stock_read_error(rsps, UnexpectedResponse, match=message, body=body, content_type=content_type)


def test_php_output_before_the_xml_is_refused_and_quoted(rsps):
    junk = "Notice: Undefined index: id_lang in /var/www/modules/foo/foo.php on line 12 " * 3
    body = junk + stock_xml([stock(21, 7, 0, 5)])

    error = stock_read_error(
        rsps, UnexpectedResponse, body=body, content_type="application/javascript"
    )

    message = str(error)
    assert message.startswith("the shop printed something before its reply")
    assert repr(junk.strip()[:80]) in message


def test_errors_survive_pickling_with_their_attributes():
    errors = [
        RateLimited("slow down", retry_after=12.0),
        StockRowNotFound("gone", stock_id=5, codes=[92]),
        WriteNotApplied("no", expected=3, actual=1, stock_id=5),
        ShopPermanentError("bad", status=400, codes=[85]),
    ]

    copies = [pickle.loads(pickle.dumps(error)) for error in errors]  # noqa: S301 (our own bytes)

    assert [type(c) for c in copies] == [type(e) for e in errors]
    assert copies[0].retry_after == 12.0
    assert (copies[1].stock_id, copies[1].codes, copies[1].status) == (5, [92], 404)
    assert (copies[2].expected, copies[2].actual, str(copies[2])) == (3, 1, "no")
    assert (copies[3].status, copies[3].codes) == (400, [85])


@pytest.mark.parametrize(
    ("reply", "error", "kind"),
    [
        pytest.param(
            {"status": 401, "content_type": XML, "body": error_xml((18, "Invalid format"))},
            ShopConfigError,
            Failure.KEY_INVALID,
            id="401-18",
        ),
        pytest.param(
            {"status": 401, "content_type": XML, "body": error_xml((20, "x"), (21, "y"))},
            ShopConfigError,
            Failure.KEY_REFUSED,
            id="401-20",
        ),
        pytest.param(
            {"status": 401, "content_type": XML, "body": error_xml((26, "not allowed"))},
            ShopConfigError,
            Failure.PERMISSION_MISSING,
            id="401-26",
        ),
        pytest.param(
            {
                "status": 403,
                "content_type": "text/html",
                "body": "<title>Attention Required!</title>",
            },
            ShopConfigError,
            Failure.FIREWALL,
            id="403-cloudflare-page",
        ),
        pytest.param(
            {
                "status": 403,
                "content_type": JSON,
                "body": '{"errors":[{"code":132,"message":"x"}]}',
            },
            ShopConfigError,
            Failure.SHOP_NOT_ALLOWED,
            id="403-132",
        ),
        pytest.param(
            {"status": 405, "content_type": "text/html", "body": "<title>Not Allowed</title>"},
            ShopConfigError,
            Failure.METHOD_BLOCKED,
            id="405-web-server",
        ),
        pytest.param(
            {"status": 405, "content_type": XML, "body": error_xml((23, "Method PATCH"))},
            ShopConfigError,
            Failure.METHOD_UNSUPPORTED,
            id="405-23",
        ),
        pytest.param(
            {"status": 414, "body": ""}, ShopConfigError, Failure.REQUEST_TOO_LONG, id="414"
        ),
        pytest.param(
            {"status": 431, "body": ""}, ShopConfigError, Failure.REQUEST_TOO_LONG, id="431"
        ),
        pytest.param(
            {"status": 400, "content_type": XML, "body": error_xml((85, "invalid"))},
            ShopPermanentError,
            Failure.REFUSED_DATA,
            id="400-85",
        ),
        pytest.param(
            {"status": 418, "body": ""}, ShopPermanentError, Failure.UNEXPECTED_STATUS, id="418"
        ),
        pytest.param({"status": 408, "body": ""}, ShopTemporaryError, Failure.TIMEOUT, id="408"),
        pytest.param(
            {"status": 502, "content_type": "text/html", "body": "<title>Bad Gateway</title>"},
            ShopTemporaryError,
            Failure.SERVER_ERROR,
            id="502",
        ),
    ],
)
def test_every_failed_reply_carries_its_kind(rsps, reply, error, kind):
    raised = stock_read_error(rsps, error, **reply)

    assert type(raised) is error
    assert raised.kind == kind
    assert raised.attempts == 1


def test_a_redirect_carries_where_it_points_without_the_query_or_key(rsps):
    location = f"https://www.shop.example/api/stock_availables?ws_key={KEY}"

    error = stock_read_error(rsps, ShopConfigError, status=308, headers={"Location": location})

    assert error.kind == Failure.REDIRECT
    assert error.location == "https://www.shop.example/api/stock_availables"


@pytest.mark.parametrize(("status", "lost"), [(502, True), (504, True), (500, False), (503, False)])
def test_only_a_gateway_error_loses_the_answer(rsps, status, lost):
    error = stock_read_error(rsps, ShopTemporaryError, status=status, body="<title>x</title>")

    assert error.answer_lost is lost


@pytest.mark.parametrize(
    ("exception", "kind", "lost"),
    [
        (requests.exceptions.ConnectTimeout("x"), Failure.TIMEOUT, False),
        (requests.exceptions.ReadTimeout("x"), Failure.TIMEOUT, True),
        (REFUSED, Failure.CONNECTION, False),
        (requests.exceptions.ChunkedEncodingError("cut"), Failure.CONNECTION_LOST, True),
        (requests.exceptions.SSLError("handshake reset"), Failure.CONNECTION, False),
        (requests.exceptions.InvalidURL("bad"), Failure.INVALID_URL, False),
    ],
)
def test_a_failure_before_a_reply_says_whether_the_request_may_have_reached_the_shop(
    rsps, exception, kind, lost
):
    error = stock_read_error(rsps, PrestaShopError, body=exception)

    assert (error.kind, error.answer_lost) == (kind, lost)


def test_a_certificate_error_is_told_by_its_type_not_its_text(rsps):
    verify = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] expired")
    wrapped = requests.exceptions.SSLError(
        MaxRetryError(None, "/api/stock_availables", urllib3.exceptions.SSLError(verify))
    )

    error = stock_read_error(
        rsps, ShopConfigError, match=r"TLS certificate of shop\.example", body=wrapped
    )

    assert error.kind == Failure.TLS_CERTIFICATE


def test_errors_keep_kind_and_attributes_through_pickling():
    error = ShopTemporaryError(
        "lost", kind=Failure.CONNECTION_LOST, answer_lost=True, retry_after=5.0, location="x"
    )
    error.attempts = 4

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)

    assert (copy.kind, copy.answer_lost, copy.retry_after, copy.location, copy.attempts) == (
        Failure.CONNECTION_LOST,
        True,
        5.0,
        "x",
        4,
    )
