"""Multi-row stock writes and the probe, replayed against the real 8.1.2 shop's recorded bytes.

Each test sends what the client builds to `responses`, which answers with the recorded reply
of the transcript named in the test; the request bodies are compared with the recorded ones.
"""

import pickle
import re
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from integrations.prestashop import (
    NO_RETRIES,
    BatchNotSupported,
    BatchRowRefused,
    Failure,
    PrestaShopClient,
    RateLimited,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRowNotFound,
    WriteNotApplied,
    writes,
)
from tests.fixtures.transcripts import load, replay
from tests.test_client_helpers import (
    JSON,
    KEY,
    V8,
    V17,
    XML,
    _fields_xml,
    resources_xml,
    retrying,
    stock,
    stock_json,
)

SHOP = "http://127.0.0.1:8099/"  # the recorded shop's address
API = SHOP + "api/"
LIST = API + "stock_availables"
XLINK_HREF = re.compile(rb' xlink:href="[^"]*"')

# Rows 7, 8 and 12 as the shop holds them (transcripts 25/26): simple products, shop 1.
ROW_7 = stock(7, 7, 0, 300)
ROW_8 = stock(8, 8, 0, 300)
ROW_12 = stock(12, 12, 0, 300, oos=1)
ROW_13, ROW_14 = stock(13, 13, 0, 300, oos=1), stock(14, 14, 0, 144, oos=1)
GONE = stock(999999, 13, 0, 0, oos=1)  # the row transcripts 27/28 name: it does not exist


def client(**options) -> PrestaShopClient:
    options.setdefault("retry", NO_RETRIES)  # retries are tested with a recording policy
    return PrestaShopClient(SHOP, KEY, **options)


def add_version(rsps, headers=V8):
    rsps.add(responses.GET, API, body=resources_xml({}), content_type=XML, headers=headers)


def echo_rows_xml(*rows) -> str:
    """A multi-row write's answer: every saved row directly under <prestashop>."""
    entities = "".join(f"<stock_available>\n{_fields_xml(r)}</stock_available>\n" for r in rows)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n{entities}</prestashop>\n'
    )


def without_xlinks(body: bytes) -> bytes:
    """A recorded PUT body as the client builds it: the shop's xlink:href attributes left out."""
    return XLINK_HREF.sub(b"", body)


# -- wire format -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "changes"),
    [
        (13, [(stock(6, 6), 77)]),
        (116, [(stock(1, 1), 180)]),
        (26, [(ROW_7, 72), (ROW_8, 82), (ROW_12, 122)]),
        (28, [(ROW_13, 132), (GONE, 5), (ROW_14, 142)]),
        (30, [(ROW_7, 73), (ROW_8, 83)]),
    ],
)
def test_patch_bodies_are_the_recorded_bytes(number, changes):
    assert writes.patch_body(changes) == load(number).body


@pytest.mark.parametrize(
    ("number", "changes"),
    [
        (12, [(stock(6, 6), 123)]),
        (25, [(ROW_7, 71), (ROW_8, 81), (ROW_12, 121)]),
        (27, [(ROW_13, 131), (GONE, 0), (ROW_14, 141)]),
    ],
)
def test_put_bodies_are_the_recorded_bytes_without_the_shops_xlinks(number, changes):
    assert writes.put_body(changes) == without_xlinks(load(number).body)


def test_the_wrapped_form_the_shop_refuses_is_never_built():
    body = writes.patch_body([(ROW_7, 72), (ROW_8, 82), (ROW_12, 122)])

    assert b"<stock_availables>" not in body
    assert body != load(17).body  # 17: the same rows wrapped -> 400/90
    assert body.replace(b"<stock_available>", b"", 1) != load(17).body


# -- PATCH on 8, PUT on 1.7 -----------------------------------------------------------------


def test_three_rows_are_one_patch_to_the_list_url_as_transcript_26(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(26))
    shop = client()

    result = shop.write_quantities([(ROW_7, 72), (ROW_8, 82), (ROW_12, 122)])

    assert [(c.request.method, c.request.url) for c in rsps.calls] == [
        ("GET", API),
        ("PATCH", LIST),
    ]
    assert rsps.calls[1].request.body == load(26).body
    assert rsps.calls[1].request.headers["Content-Type"] == "application/xml"
    assert result.method == "PATCH"
    assert result.written == {
        7: replace(ROW_7, quantity=72),
        8: replace(ROW_8, quantity=82),
        12: replace(ROW_12, quantity=122),
    }
    assert (result.not_applied, result.refused, result.requests) == ({}, {}, 2)


def test_on_1_7_the_rows_go_in_full_in_one_put_as_transcript_25(rsps):
    add_version(rsps, V17)
    replay(rsps, responses.PUT, LIST, load(25))

    result = client().write_quantities([(ROW_7, 71), (ROW_8, 81), (ROW_12, 121)])

    assert rsps.calls[1].request.method == "PUT"
    assert rsps.calls[1].request.body == without_xlinks(load(25).body)
    assert result.method == "PUT"
    assert {i: r.quantity for i, r in result.written.items()} == {7: 71, 8: 81, 12: 121}


def test_the_shop_context_goes_with_the_write(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(26))

    client(shop_id=1).write_quantities([(ROW_7, 72), (ROW_8, 82), (ROW_12, 122)])

    assert rsps.calls[1].request.url == LIST + "?id_shop=1"


def test_patch_refused_405_25_is_sent_again_as_one_put_and_remembered(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(37))  # 405/25: the key may not PATCH
    replay(rsps, responses.PUT, LIST, load(25))
    shop = client()
    changes = [(ROW_7, 71), (ROW_8, 81), (ROW_12, 121)]

    first = shop.write_quantities(changes)
    second = shop.write_quantities(changes)

    assert [c.request.method for c in rsps.calls] == ["GET", "PATCH", "PUT", "PUT"]
    assert (first.method, first.requests) == ("PUT", 3)
    assert (second.method, second.requests) == ("PUT", 1)
    assert rsps.calls[2].request.body == without_xlinks(load(25).body)


def test_put_refused_405_25_is_the_config_error_of_any_write(rsps):
    add_version(rsps, V17)
    replay(rsps, responses.PUT, LIST, load(36))

    with pytest.raises(ShopConfigError) as caught:
        client().write_quantities([(ROW_7, 71), (ROW_8, 81)])

    assert (caught.value.status, caught.value.codes) == (405, [25])


# -- the shop refuses multi-row writes as such ----------------------------------------------


@pytest.mark.parametrize(("version", "number"), [(V8, 17), (V17, 16)])
def test_the_400_90_of_the_wrapped_form_is_batch_not_supported(rsps, version, number):
    add_version(rsps, version)
    method = responses.PATCH if version is V8 else responses.PUT
    replay(rsps, method, LIST, load(number))

    with pytest.raises(BatchNotSupported) as caught:
        client().write_quantities([(ROW_7, 72), (ROW_8, 82), (ROW_12, 122)])

    error = caught.value
    assert (error.status, error.codes, error.stock_ids) == (400, [90], (7, 8, 12))
    assert (error.kind, error.attempts) == (Failure.BATCH_NOT_SUPPORTED, 1)  # never retried
    assert len(rsps.calls) == 2  # the version, one write
    assert error.method == method
    assert str(error) == (
        f"{method} /api/stock_availables: the shop does not take 3 rows in one request (HTTP "
        "400, code 90: id is required when modifying a resource)"
    )


def test_a_200_listing_fewer_rows_than_sent_is_batch_not_supported(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(13))  # lists row 6 only

    with pytest.raises(BatchNotSupported) as caught:
        client().write_quantities([(stock(6, 6), 77), (ROW_7, 72)])

    assert caught.value.listed == (6,)
    assert caught.value.status == 200
    assert caught.value.kind == Failure.BATCH_NOT_SUPPORTED
    assert "lists 1 of the 2 rows sent (rows listed: 6)" in str(caught.value)


def test_a_json_answer_keeping_only_the_last_row_is_batch_not_supported(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(14))  # {"stock_available": {...row 6...}}

    with pytest.raises(BatchNotSupported) as caught:
        client().write_quantities([(stock(6, 6), 77), (ROW_7, 72)])

    assert caught.value.listed == (6,)


def test_an_answer_listing_rows_not_sent_is_batch_not_supported(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(30))  # lists 7 and 8

    with pytest.raises(BatchNotSupported, match=r"rows listed: 7, 8"):
        client().write_quantities([(ROW_7, 73), (ROW_12, 83)])


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (413, "<html><title>413 Request Entity Too Large</title></html>", "text/html"),
        (403, "<html><title>Forbidden by mod_security</title></html>", "text/html"),
        (400, "<html><title>Bad Request</title></html>", "text/html"),
        (500, None, XML),  # 500/127: the body reached the shop cut or rewritten
    ],
)
def test_refusals_one_row_would_not_get_are_batch_not_supported(rsps, status, body, content_type):
    add_version(rsps)
    if body is None:
        body = '<?xml version="1.0"?><prestashop><errors><error><code>127</code><message>XML error'
        body += "</message></error></errors></prestashop>"
    rsps.add(responses.PATCH, LIST, body=body, status=status, content_type=content_type)

    with pytest.raises(BatchNotSupported) as caught:
        client().write_quantities([(ROW_7, 72), (ROW_8, 82)])

    assert caught.value.status == status
    assert caught.value.cause is not None


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error_type"),
    [
        (401, "401 Unauthorized", "text/html", ShopConfigError),
        (404, "<html><title>Not Found</title></html>", "text/html", ShopConfigError),
        (503, "<html><title>Service Unavailable</title></html>", "text/html", ShopTemporaryError),
        (429, "", "text/html", RateLimited),
    ],
)
def test_failures_one_row_would_get_too_keep_their_type(
    rsps, status, body, content_type, error_type
):
    add_version(rsps)
    rsps.add(responses.PATCH, LIST, body=body, status=status, content_type=content_type)

    with pytest.raises(error_type) as caught:
        client().write_quantities([(ROW_7, 72), (ROW_8, 82)])

    assert not isinstance(caught.value, (BatchNotSupported, BatchRowRefused))


# -- one row refused: the rows before it written, the rows after it not ---------------------


@pytest.mark.parametrize(("version", "number"), [(V8, 28), (V17, 27)])
def test_a_missing_row_in_the_middle_is_a_row_refusal_that_names_no_row(rsps, version, number):
    add_version(rsps, version)
    method = responses.PATCH if version is V8 else responses.PUT
    replay(rsps, method, LIST, load(number))
    quantities = (132, 5, 142) if version is V8 else (131, 0, 141)

    with pytest.raises(BatchRowRefused) as caught:
        client().write_quantities(list(zip((ROW_13, GONE, ROW_14), quantities, strict=True)))

    sent = rsps.calls[1].request.body
    assert sent == (load(number).body if version is V8 else without_xlinks(load(number).body))
    error = caught.value
    assert (error.missing, error.status, error.codes) == (True, 404, [92])
    assert error.stock_ids == (13, 999999, 14)
    assert isinstance(error.cause, StockRowNotFound)
    assert (error.kind, error.cause.kind) == (Failure.BATCH_ROW_REFUSED, Failure.ROW_NOT_FOUND)
    assert str(error) == (
        f"{method} /api/stock_availables: one of the 3 rows sent does not exist in this shop "
        "(HTTP 404, code 92: Invalid ID); the rows before it were written, the rows after it "
        "were not"
    )


def test_an_invalid_value_is_a_row_refusal_carrying_the_shops_validation_error(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(29))  # 400/85 on the last row

    with pytest.raises(BatchRowRefused) as caught:
        client().write_quantities([(ROW_13, 133), (ROW_14, 144)])

    error = caught.value
    assert (error.missing, error.status, error.codes) == (False, 400, [85])
    assert type(error.cause) is ShopPermanentError
    assert 'code 85: Validation error: "The range of property StockAvailable-&gt;quantity' in str(
        error
    )
    assert str(error).endswith("the rows before it were written, the rows after it were not")


def test_batch_errors_survive_pickling_with_their_rows_and_cause(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(28))
    with pytest.raises(BatchRowRefused) as caught:
        client().write_quantities([(ROW_13, 132), (GONE, 5), (ROW_14, 142)])

    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own object

    assert type(copy) is BatchRowRefused
    assert (copy.stock_ids, copy.missing, copy.codes, copy.method) == (
        (13, 999999, 14),
        True,
        [92],
        "PATCH",
    )
    assert str(copy) == str(caught.value)
    assert isinstance(copy.cause, StockRowNotFound)


# -- rows accounted for ---------------------------------------------------------------------


def test_a_row_echoed_with_another_quantity_is_not_applied_the_others_written(rsps):
    add_version(rsps)
    echo = echo_rows_xml(replace(ROW_7, quantity=72), ROW_8)  # a module put 300 back on 8
    rsps.add(responses.PATCH, LIST, body=echo, content_type=XML, headers=V8)

    result = client().write_quantities([(ROW_7, 72), (ROW_8, 82)])

    assert list(result.written) == [7]
    error = result.not_applied[8]
    assert isinstance(error, WriteNotApplied)
    assert (error.expected, error.actual, error.stock_id) == (82, 300, 8)


def test_rows_the_shop_would_refuse_are_not_sent_and_reported(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(30))
    legacy = replace(ROW_12, depends_on_stock=1)

    result = client().write_quantities([(ROW_7, 73), (legacy, 5), (ROW_8, 83), (ROW_13, 10**10)])

    assert rsps.calls[1].request.body == load(30).body  # rows 7 and 8 only
    assert set(result.written) == {7, 8}
    assert set(result.refused) == {12, 13}
    assert "depends_on_stock=1" in str(result.refused[12])
    assert "outside what PrestaShop can store" in str(result.refused[13])


def test_nothing_to_send_sends_nothing(rsps):
    shop = client()

    assert shop.write_quantities([]).requests == 0
    result = shop.write_quantities([(replace(ROW_7, depends_on_stock=1), 1)])

    assert (result.written, set(result.refused), result.requests) == ({}, {7}, 0)
    assert len(rsps.calls) == 0


def test_a_row_named_twice_is_refused_before_any_request(rsps):
    with pytest.raises(ValueError, match="each stock row once"):
        client().write_quantities([(ROW_7, 1), (ROW_7, 2)])

    assert len(rsps.calls) == 0


# -- the probe -------------------------------------------------------------------------------


def test_the_probe_writes_two_rows_back_with_the_quantities_they_hold(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(30))
    rows = [replace(ROW_7, quantity=73), replace(ROW_8, quantity=83), ROW_12]

    support = client().probe_batch_writes(rows)

    assert (support.supported, support.method, support.reason, support.error) == (
        True,
        "PATCH",
        "",
        None,
    )
    assert support.requests == 2
    assert rsps.calls[1].request.body == load(30).body


def test_the_probe_reads_two_product_rows_itself_when_given_none(rsps):
    rows = [replace(ROW_7, quantity=73), replace(ROW_8, quantity=83)]
    rsps.add(
        responses.GET,
        LIST,
        body=stock_json(rows),
        content_type=JSON,
        headers=V8,
    )
    replay(rsps, responses.PATCH, LIST, load(30))

    support = client(shop_id=1).probe_batch_writes()

    assert support.supported
    assert support.requests == 2
    read = dict(_query(rsps.calls[0]))
    assert read["filter[id_product_attribute]"] == "[0]"
    assert (read["limit"], read["sort"], read["id_shop"]) == ("0,5", "[id_ASC]", "1")


def test_the_probe_reports_a_refusal_with_its_reason(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(17))  # 400/90

    support = client().probe_batch_writes([ROW_7, ROW_8])

    assert support.supported is False
    assert support.method == "PATCH"
    assert isinstance(support.error, BatchNotSupported)
    assert support.reason == str(support.error)
    assert "code 90: id is required when modifying a resource" in support.reason


def test_the_probe_without_two_writable_rows_says_so_without_writing(rsps):
    support = client().probe_batch_writes([ROW_7, replace(ROW_8, depends_on_stock=1)])

    assert (support.supported, support.method, support.requests) == (False, "", 0)
    assert "fewer than two writable stock rows" in support.reason


def test_the_probe_raises_what_says_nothing_about_multi_row_writes(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(28))

    with pytest.raises(BatchRowRefused):
        client().probe_batch_writes([ROW_13, GONE])


def _query(call):
    return parse_qsl(urlsplit(call.request.url).query)


def test_a_one_row_write_refused_says_the_row(rsps):
    add_version(rsps)
    replay(rsps, responses.PATCH, LIST, load(28))

    with pytest.raises(BatchRowRefused) as caught:
        client().write_quantities([(GONE, 5)])

    assert str(caught.value).startswith(
        "PATCH /api/stock_availables: the row sent does not exist in this shop (HTTP 404"
    )


# -- retries and lost answers, as for a one-row write -------------------------------------


def test_a_server_error_on_a_multi_row_write_is_retried_and_its_rows_are_uncertain(rsps):
    add_version(rsps)
    rsps.add(responses.PATCH, LIST, status=502, body="<title>Bad Gateway</title>")
    rsps.add(responses.PATCH, LIST, body=echo_rows_xml(ROW_7, ROW_8), content_type=XML)
    sleeps = []
    shop = client(retry=retrying(sleeps))

    result = shop.write_quantities([(replace(ROW_7, quantity=0), 300), (ROW_8, 300)])

    assert set(result.written) == {7, 8}
    assert sleeps == [1.0]
    assert [call.request.method for call in rsps.calls] == ["GET", "PATCH", "PATCH"]
    # A 502 is a gateway giving up on the PHP behind it: that first write may still land.
    assert shop.uncertain_rows == {7, 8}


def test_a_multi_row_write_whose_answer_is_lost_leaves_every_row_sent_uncertain(rsps):
    add_version(rsps)
    rsps.add(responses.PATCH, LIST, body=requests.exceptions.ReadTimeout("read timed out"))
    shop = client()

    with pytest.raises(ShopTemporaryError) as caught:
        shop.write_quantities([(ROW_7, 72), (ROW_8, 82), (ROW_12, 122)])

    assert (caught.value.kind, caught.value.answer_lost) == (Failure.TIMEOUT, True)
    assert shop.uncertain_rows == {7, 8, 12}


def test_a_429_on_a_multi_row_write_spends_the_429_budget_and_leaves_no_row_uncertain(rsps):
    add_version(rsps)
    rsps.add(responses.PATCH, LIST, status=429, headers={"Retry-After": "5"})
    rsps.add(responses.PATCH, LIST, body=echo_rows_xml(ROW_7, ROW_8), content_type=XML)
    sleeps = []
    shop = client(retry=retrying(sleeps, temporary_retries=0))

    result = shop.write_quantities([(ROW_7, 300), (ROW_8, 300)])

    assert (set(result.written), sleeps, shop.uncertain_rows) == ({7, 8}, [5.0], set())


def test_a_row_refusal_after_a_retry_counts_both_attempts(rsps):
    add_version(rsps)
    rsps.add(responses.PATCH, LIST, status=503, body="<title>Service Unavailable</title>")
    replay(rsps, responses.PATCH, LIST, load(28))
    shop = client(retry=retrying([]))

    with pytest.raises(BatchRowRefused) as caught:
        shop.write_quantities([(ROW_13, 132), (GONE, 5), (ROW_14, 142)])

    assert (caught.value.attempts, caught.value.cause.attempts) == (2, 2)
    assert shop.uncertain_rows == set()  # a 503 and a 404 are answers, nothing was lost
