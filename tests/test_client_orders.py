"""Reading orders, lines, states and configuration values: the requests the client sends and
the real 8.1.2 shop's recorded answers (transcripts orders/70-156), faked at the wire."""

from urllib.parse import urlsplit

import pytest
import responses

from integrations.prestashop import OrderHead, OrderLine, UnexpectedResponse
from tests.fixtures.transcripts import load
from tests.test_client_helpers import API, client, query_of


def serve(rsps, resource: str, number: int) -> None:
    """Answer GET /api/<resource> with transcript `number`'s body, status and headers."""
    answer = load(number).answer
    headers = {k: v for k, v in answer.headers if k in ("PSWS-Version",)}
    rsps.add(
        responses.GET,
        API + resource,
        body=answer.body,
        status=answer.status,
        headers=headers,
        content_type=answer.header("Content-Type"),
    )


def raw_query(call) -> str:
    return urlsplit(call.request.url).query


def test_changed_orders_filter_date_upd_strictly_with_date_1_in_shop_time(rsps):
    serve(rsps, "orders", 148)

    heads = client().fetch_changed_orders("2026-11-30 02:42:35")

    sent = query_of(rsps.calls[0])
    assert sent["filter[date_upd]"] == ">[2026-11-30 02:42:35]"
    assert sent["date"] == "1"
    # Brackets, `>`, `:` and the space percent-encoded (transcript 79); never a literal space.
    assert "filter%5Bdate_upd%5D=%3E%5B2026-11-30%2002%3A42%3A35%5D" in raw_query(rsps.calls[0])
    assert " " not in rsps.calls[0].request.url
    assert [(h.id, h.current_state, h.date_upd) for h in heads] == [
        (6, 4, "2026-11-30 02:42:40"),
        (7, 6, "2026-11-30 02:42:48"),
        (8, 4, "2026-11-30 02:43:00"),
        (9, 6, "2026-11-30 02:43:01"),
    ]


def test_the_first_read_takes_every_order_and_an_empty_list_is_the_bare_body(rsps):
    serve(rsps, "orders", 74)
    serve(rsps, "orders", 81)
    shop = client()

    first = shop.fetch_changed_orders(None)
    none = shop.fetch_changed_orders("2027-01-01 00:00:00")

    assert "filter[date_upd]" not in query_of(rsps.calls[0])
    assert first[0] == OrderHead(1, "XKBKNABJK", 6, 1, "2026-11-30 01:28:42", "2026-11-30 01:28:42")
    assert (len(first), none) == (5, [])


def test_a_shop_refusing_the_date_filter_is_a_configuration_error(rsps):
    from integrations.prestashop import ShopConfigError

    serve(rsps, "orders", 78)  # what a filter without date=1 gets: 500, code 32

    with pytest.raises(ShopConfigError) as raised:
        client().fetch_changed_orders("2026-01-01 00:00:00")

    assert raised.value.status == 500
    assert 32 in raised.value.codes


def test_order_lines_come_from_order_details_by_an_or_list_of_orders(rsps):
    serve(rsps, "order_details", 84)

    lines = client().fetch_order_lines([2, 1])

    assert query_of(rsps.calls[0])["filter[id_order]"] == "[1|2]"
    assert lines == {
        1: [OrderLine(1, 1, 1, 1, 1), OrderLine(2, 1, 2, 9, 1)],
        2: [OrderLine(3, 2, 4, 18, 2), OrderLine(4, 2, 8, 0, 1)],
    }


def test_a_line_of_an_order_not_asked_for_is_refused(rsps):
    serve(rsps, "order_details", 84)

    with pytest.raises(UnexpectedResponse, match="order 2"):
        client().fetch_order_lines([1])


def test_order_states_and_their_flags_as_the_shop_lists_them(rsps):
    serve(rsps, "order_states", 70)

    states = {state.id: state for state in client().fetch_order_states()}

    assert len(states) == 13
    assert (states[4].name, states[4].shipped, states[4].paid) == ("Shipped", True, True)
    assert (states[6].name, states[6].shipped, states[6].logable) == ("Canceled", False, False)
    assert (states[7].shipped, states[7].logable) == (False, False)
    assert (states[2].paid, states[2].logable, states[2].shipped) == (True, True, False)


def test_configuration_values_by_a_pipe_list_of_names(rsps):
    serve(rsps, "configurations", 71)
    names = ["PS_OS_CANCELED", "PS_OS_REFUND", "PS_OS_SHIPPING", "PS_OS_DELIVERED"]

    values = client().fetch_configuration([*names, "PS_OS_PAYMENT", "PS_OS_ERROR"])

    sent = query_of(rsps.calls[0])["filter[name]"]
    assert sorted(sent.strip("[]").split("|")) == sorted([*names, "PS_OS_PAYMENT", "PS_OS_ERROR"])
    assert values == {
        "PS_OS_CANCELED": "6",
        "PS_OS_DELIVERED": "5",
        "PS_OS_ERROR": "8",
        "PS_OS_PAYMENT": "2",
        "PS_OS_REFUND": "7",
        "PS_OS_SHIPPING": "4",
    }


def test_the_newest_order_sorts_by_date_upd_with_date_1(rsps):
    serve(rsps, "orders", 150)

    newest = client().fetch_newest_order()

    sent = query_of(rsps.calls[0])
    assert (sent["sort"], sent["limit"], sent["date"]) == ("[date_upd_DESC,id_DESC]", "0,1", "1")
    assert (newest.id, newest.date_upd) == (9, "2026-11-30 02:43:01")


def test_a_date_in_another_shape_is_refused(rsps):
    rsps.add(
        responses.GET,
        API + "orders",
        json={"orders": [{"id": 1, "current_state": 2, "date_add": "30/11/2026",
                          "date_upd": "30/11/2026", "reference": "X"}]},
    )  # fmt: skip

    with pytest.raises(UnexpectedResponse, match="YYYY-MM-DD"):
        client().fetch_changed_orders(None)
