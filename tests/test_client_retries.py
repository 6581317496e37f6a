"""A temporary failure retries that one request: budgets, backoff, Retry-After, lost answers."""

import pytest
import requests
import responses

from integrations.prestashop import (
    NO_RETRIES,
    Failure,
    RateLimited,
    RetryPolicy,
    ShopConfigError,
    ShopTemporaryError,
    StockRowNotFound,
    UnexpectedResponse,
)
from integrations.prestashop.transport import Transport
from integrations.ratelimit import LimiterTimeout
from tests.test_client_helpers import (
    API,
    JSON,
    V8,
    V17,
    XML,
    RecordingLimiter,
    client,
    echo_xml,
    error_xml,
    resources_xml,
    retrying,
    stock,
    stock_json,
)

STOCK = API + "stock_availables"
ROW = stock(24, 8, 0, 0)
HTML_502 = "<html><head><title>502 Bad Gateway</title></head></html>"


def add(rsps, *replies, url=STOCK, method=responses.GET):
    """Register replies answered in order (the last one repeats)."""
    for reply in replies:
        if isinstance(reply, Exception):
            rsps.add(method, url, body=reply)
        else:
            rsps.add(method, url, **{"content_type": JSON, "headers": V8, **reply})


OK = {"body": stock_json([stock(21, 7, 0, 3)])}
FAILED_503 = {"status": 503, "body": "<title>503</title>", "content_type": "text/html"}


def limited(seconds=None):
    headers = {} if seconds is None else {"Retry-After": str(seconds)}
    return {"status": 429, "body": "", "headers": headers}


def test_a_503_then_a_good_reply_reads_the_rows_after_one_backoff(rsps):
    add(rsps, FAILED_503, OK)
    sleeps = []

    read = client(retry=retrying(sleeps)).fetch_stock([7])

    assert read.rows[(7, 0)].quantity == 3
    assert read.requests == len(rsps.calls) == 2
    assert sleeps == [1.0]


def test_temporary_failures_back_off_exponentially_up_to_the_cap_then_raise(rsps):
    add(rsps, FAILED_503)
    sleeps = []
    policy = retrying(sleeps, temporary_retries=5, base_delay=2.0, max_delay=10.0)

    with pytest.raises(ShopTemporaryError) as caught:
        client(retry=policy).fetch_stock([7])

    assert sleeps == [2.0, 4.0, 8.0, 10.0, 10.0]
    assert caught.value.attempts == len(rsps.calls) == 6
    assert caught.value.kind == Failure.SERVER_ERROR


def test_the_jitter_keeps_at_least_half_of_each_backoff():
    low = RetryPolicy(random=lambda: 0.0, base_delay=4.0)
    high = RetryPolicy(random=lambda: 1.0, base_delay=4.0)

    assert [low.backoff(n) for n in range(3)] == [2.0, 4.0, 8.0]
    assert [high.backoff(n) for n in range(3)] == [4.0, 8.0, 16.0]


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(requests.exceptions.ReadTimeout("slow"), id="read-timeout"),
        pytest.param(requests.exceptions.ConnectTimeout("no syn-ack"), id="connect-timeout"),
        pytest.param(requests.exceptions.ConnectionError("reset"), id="connection-error"),
        pytest.param(requests.exceptions.ChunkedEncodingError("cut"), id="cut-body"),
        pytest.param({"body": '{"stock_availables":[{"id":'}, id="truncated-json"),
        pytest.param(
            {"body": "<title>Maintenance</title>", "content_type": "text/html"}, id="html"
        ),
        pytest.param({"status": 502, "body": HTML_502, "content_type": "text/html"}, id="502"),
        pytest.param({"status": 408, "body": ""}, id="408"),
    ],
)
def test_each_temporary_failure_of_a_read_is_retried(rsps, failure):
    add(rsps, failure, OK)

    read = client(retry=retrying([])).fetch_stock([7])

    assert read.requests == 2
    assert read.rows[(7, 0)].quantity == 3


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        pytest.param(
            {"status": 401, "content_type": XML, "body": error_xml((20, "x"), (21, "y"))},
            ShopConfigError,
            id="wrong-key",
        ),
        pytest.param(
            {"status": 403, "content_type": "text/html", "body": "<title>Forbidden</title>"},
            ShopConfigError,
            id="firewall",
        ),
        pytest.param(
            {"status": 500, "content_type": XML, "body": error_xml((32, "no such filter"))},
            ShopConfigError,
            id="unknown-filter",
        ),
        pytest.param(
            {"content_type": XML, "body": '<!DOCTYPE p [<!ENTITY x "y">]><prestashop/>'},
            UnexpectedResponse,
            id="doctype",
        ),
        pytest.param({"body": "[" * 100 + "]" * 100}, UnexpectedResponse, id="too-deep"),
    ],
)
def test_configuration_errors_and_hostile_bodies_are_not_retried(rsps, reply, error):
    add(rsps, reply)
    sleeps = []

    with pytest.raises(error) as caught:
        client(retry=retrying(sleeps)).fetch_stock([7])

    assert (len(rsps.calls), sleeps, caught.value.attempts) == (1, [], 1)


def test_a_body_over_the_size_cap_is_not_fetched_again(rsps, monkeypatch):
    monkeypatch.setattr(Transport, "max_body_bytes", 100)
    add(rsps, OK)

    with pytest.raises(UnexpectedResponse) as caught:
        client(retry=retrying([])).fetch_stock([7])

    assert (caught.value.kind, len(rsps.calls)) == (Failure.TOO_LARGE, 1)


def test_a_missing_row_is_not_retried(rsps):
    add(rsps, {"status": 404, "body": "", "content_type": ""}, url=STOCK + "/9")

    with pytest.raises(StockRowNotFound):
        client(retry=retrying([])).fetch_row(9)

    assert len(rsps.calls) == 1


def test_a_429_honours_retry_after_and_backs_the_limiter_off_each_time(rsps):
    add(rsps, limited(30), limited(45), OK)
    limiter, sleeps = RecordingLimiter(), []

    read = client(retry=retrying(sleeps), limiter=limiter).fetch_stock([7])

    assert read.requests == 3
    assert sleeps == [30.0, 45.0]
    assert limiter.backoffs == [30.0, 45.0]
    assert limiter.slots == 3


def test_a_429_without_retry_after_waits_the_policys_delay(rsps):
    add(rsps, limited(), OK)
    sleeps = []

    client(retry=retrying(sleeps, rate_limited_delay=20.0)).fetch_stock([7])

    assert sleeps == [20.0]


def test_with_a_limiter_a_429_without_retry_after_waits_for_the_limiters_pause_alone(rsps):
    add(rsps, limited(), OK)
    limiter, sleeps = RecordingLimiter(), []

    read = client(retry=retrying(sleeps, rate_limited_delay=20.0), limiter=limiter).fetch_stock([7])

    assert read.requests == 2
    assert sleeps == []  # no fixed 20 s on top of the pause every worker now keeps
    assert limiter.backoffs == [None]
    assert limiter.slots == 2  # the retry waited for its slot


def test_a_retry_after_longer_than_the_cap_is_not_waited_for(rsps):
    add(rsps, limited(3600))
    limiter, sleeps = RecordingLimiter(), []

    with pytest.raises(RateLimited) as caught:
        client(retry=retrying(sleeps, retry_after_cap=900), limiter=limiter).fetch_stock([7])

    assert caught.value.retry_after == 3600.0
    assert (len(rsps.calls), sleeps, limiter.backoffs) == (1, [], [3600.0])


def test_a_503_with_retry_after_waits_at_least_that_long(rsps):
    add(rsps, {**FAILED_503, "headers": {"Retry-After": "20"}}, OK)
    sleeps = []

    client(retry=retrying(sleeps)).fetch_stock([7])

    assert sleeps == [20.0]


def test_429s_and_other_failures_spend_separate_budgets(rsps):
    add(rsps, limited(5), FAILED_503, limited(5), FAILED_503, OK)
    policy = retrying([], temporary_retries=2, rate_limited_retries=2)

    read = client(retry=policy).fetch_stock([7])

    assert read.requests == 5


def test_an_exhausted_429_budget_raises_rate_limited(rsps):
    add(rsps, limited(5))
    sleeps = []

    with pytest.raises(RateLimited) as caught:
        client(retry=retrying(sleeps, rate_limited_retries=2)).fetch_stock([7])

    assert caught.value.attempts == len(rsps.calls) == 3
    assert sleeps == [5.0, 5.0]


def test_disabled_retries_raise_the_first_failure(rsps):
    add(rsps, FAILED_503)

    with pytest.raises(ShopTemporaryError):
        client(retry=RetryPolicy.disabled()).fetch_stock([7])

    assert len(rsps.calls) == 1
    assert RetryPolicy.disabled() == NO_RETRIES


def test_a_limiter_that_gives_no_slot_is_not_retried_by_the_client(rsps):
    class FullLimiter(RecordingLimiter):
        def slot(self):
            self.slots += 1
            raise LimiterTimeout("no slot within 30 s")

    limiter = FullLimiter()

    with pytest.raises(LimiterTimeout):
        client(retry=retrying([]), limiter=limiter).fetch_stock([7])

    assert (limiter.slots, len(rsps.calls)) == (1, 0)


def test_a_request_the_limiter_refused_is_not_counted_as_sent(rsps):
    class RefusingOnce(RecordingLimiter):
        refused = False

        def slot(self):
            if not self.refused:
                self.refused = True
                raise LimiterTimeout("no slot within 30 s")  # or cancelled while waiting
            return super().slot()

    add(rsps, OK)
    shop = client(retry=retrying([]), limiter=RefusingOnce())
    with pytest.raises(LimiterTimeout):
        shop.fetch_stock([7])

    shop.fetch_stock([7])

    assert (shop.requests_sent, len(rsps.calls)) == (1, 1)


def test_negative_counts_or_delays_are_refused():
    with pytest.raises(ValueError, match="must not be negative"):
        RetryPolicy(temporary_retries=-1)
    with pytest.raises(ValueError, match="must not be negative"):
        RetryPolicy(retry_after_cap=-5)


# -- writes whose answer was lost -------------------------------------------------------------


def put_client(rsps, **options):
    """A client for a PrestaShop 1.7 shop (writes with PUT); the version costs one GET."""
    rsps.add(responses.GET, API, body=resources_xml({}), content_type=XML, headers=V17)
    return client(**options)


def puts(rsps) -> list:
    return [call.request for call in rsps.calls if call.request.method == "PUT"]


@pytest.mark.parametrize(
    "lost",
    [
        pytest.param(requests.exceptions.ReadTimeout("slow"), id="read-timeout"),
        pytest.param(requests.exceptions.ConnectionError("reset after send"), id="reset"),
        pytest.param({"status": 504, "body": HTML_502, "content_type": "text/html"}, id="504"),
        pytest.param({"status": 502, "body": HTML_502, "content_type": "text/html"}, id="502"),
    ],
)
def test_a_write_whose_answer_was_lost_is_retried_and_its_row_reported_uncertain(rsps, lost):
    echo = {"body": echo_xml(stock(24, 8, 0, 40)), "content_type": XML}
    add(rsps, lost, echo, url=STOCK + "/24", method=responses.PUT)
    shop = put_client(rsps, retry=retrying([]))

    written = shop.write_quantity(ROW, 40)

    assert written.quantity == 40
    first, second = puts(rsps)
    assert first.body == second.body  # the same absolute quantity, sent again
    assert shop.uncertain_rows == {24}


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(requests.exceptions.ConnectTimeout("no syn-ack"), id="connect-timeout"),
        pytest.param({"status": 503, "body": "<title>503</title>"}, id="503"),
        pytest.param({"body": "<prestashop><stock_av", "content_type": XML}, id="cut-echo"),
    ],
)
def test_a_write_that_surely_did_not_land_or_did_answer_is_retried_but_not_uncertain(rsps, failure):
    echo = {"body": echo_xml(stock(24, 8, 0, 40)), "content_type": XML}
    add(rsps, failure, echo, url=STOCK + "/24", method=responses.PUT)
    shop = put_client(rsps, retry=retrying([]))

    shop.write_quantity(ROW, 40)

    assert len(puts(rsps)) == 2
    assert shop.uncertain_rows == set()


def test_a_lost_write_answer_without_retries_still_reports_the_row_uncertain(rsps):
    add(rsps, requests.exceptions.ReadTimeout("slow"), url=STOCK + "/24", method=responses.PUT)
    shop = put_client(rsps)

    with pytest.raises(ShopTemporaryError) as caught:
        shop.write_quantity(ROW, 40)

    assert (caught.value.kind, caught.value.answer_lost) == (Failure.TIMEOUT, True)
    assert shop.uncertain_rows == {24}
    shop.uncertain_rows.clear()  # the caller takes them
    assert shop.uncertain_rows == set()


def test_a_read_whose_answer_was_lost_leaves_nothing_uncertain(rsps):
    add(rsps, requests.exceptions.ReadTimeout("slow"), OK)
    shop = client(retry=retrying([]))

    shop.fetch_stock([7])

    assert shop.uncertain_rows == set()
