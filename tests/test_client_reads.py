"""Bulk stock reads of the PrestaShop client, faked at the wire with `responses`."""

from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from integrations.prestashop import UnexpectedResponse, query
from tests.test_client_helpers import (
    API,
    BASIC,
    JSON,
    V8,
    XML,
    RecordingLimiter,
    add_stock_list,
    client,
    query_of,
    stock,
    stock_json,
    stock_xml,
)


def serve_stock(rsps, rows):
    """A fake stock_availables list honouring filter[id_product] (a list or a range), sort by
    id and limit."""

    def reply(request):
        query = dict(parse_qsl(urlsplit(request.url).query))
        chosen = sorted((r for r in rows if matches(query, r.id_product)), key=lambda r: r.id)
        offset, size = (int(part) for part in query["limit"].split(","))
        return 200, V8, stock_json(chosen[offset : offset + size])

    rsps.add_callback(responses.GET, API + "stock_availables", callback=reply, content_type=JSON)


def matches(query, product_id) -> bool:
    """filter[id_product] as the webservice reads it: [a|b|c] or the range [low,high]."""
    inner = query["filter[id_product]"].strip("[]")
    if "," in inner:
        low, high = (int(part) for part in inner.split(","))
        return low <= product_id <= high
    return str(product_id) in inner.split("|")


def filters_sent(rsps) -> list[str]:
    return [query_of(call)["filter[id_product]"] for call in rsps.calls]


def test_bulk_read_in_json_returns_rows_keyed_by_product_and_combination(rsps):
    rows = [stock(21, 7, 0, 15), stock(22, 7, 31, 10, location="A-01"), stock(24, 8, 0, 0)]
    add_stock_list(rsps, stock_json(rows))
    shop = client()

    read = shop.fetch_stock([8, 7, 9, 7])

    assert read.rows == {(7, 0): rows[0], (7, 31): rows[1], (8, 0): rows[2]}
    assert read.missing_products == frozenset({9})
    assert read.requests == 1
    assert shop.requests_sent == 1
    assert shop.version() == "8.1.7"  # taken from the read, no extra request
    assert len(rsps.calls) == 1


def test_bulk_read_sends_the_documented_query_and_basic_auth(rsps):
    add_stock_list(rsps, "[]")

    client(shop_id=3).fetch_stock([7, 8, 9])

    request = rsps.calls[0].request
    assert query_of(rsps.calls[0]) == {
        "display": "[id,id_product,id_product_attribute,id_shop,id_shop_group,quantity,"
        "depends_on_stock,out_of_stock,location]",
        "filter[id_product]": "[7|8|9]",
        "sort": "[id_ASC]",
        "limit": "0,2000",
        "output_format": "JSON",
        "id_shop": "3",
    }
    assert "filter%5Bid_product%5D=%5B7%7C8%7C9%5D" in request.url
    assert request.headers["Authorization"] == BASIC
    assert request.req_kwargs["timeout"] == (5.0, 30.0)
    assert request.req_kwargs["verify"] is not False  # True, or the CA bundle from the env


def test_bulk_read_in_xml_is_parsed_like_json(rsps):
    rows = [stock(21, 7, 0, 15), stock(22, 7, 31, -3, location="Regał & półka")]
    add_stock_list(rsps, stock_xml(rows), content_type=XML)

    read = client().fetch_stock([7])

    assert read.rows == {(7, 0): rows[0], (7, 31): rows[1]}
    assert read.missing_products == frozenset()


def test_numbers_sent_as_json_ints_read_the_same_as_strings(rsps):
    rows = [stock(21, 7, 0, 15), stock(22, 7, 31, 4)]
    add_stock_list(rsps, stock_json(rows, as_ints=True))

    read = client().fetch_stock([7])

    assert read.rows[(7, 31)].quantity == 4
    assert read.rows[(7, 0)] == rows[0]


def test_empty_json_list_body_means_every_product_is_missing(rsps):
    add_stock_list(rsps, "[]")

    read = client().fetch_stock([5, 6])

    assert read.rows == {}
    assert read.missing_products == frozenset({5, 6})


def test_empty_xml_list_means_every_product_is_missing(rsps):
    add_stock_list(rsps, stock_xml([]), content_type=XML)

    assert client().fetch_stock([5]).missing_products == frozenset({5})


def test_no_product_ids_sends_no_request(rsps):
    shop = client()

    read = shop.fetch_stock([])

    assert (read.rows, read.missing_products, read.requests) == ({}, frozenset(), 0)
    assert shop.requests_sent == 0


@pytest.mark.parametrize("bad", [0, -4, "7", True, 7.0])
def test_product_ids_that_are_not_positive_ints_are_refused(bad):
    with pytest.raises(ValueError, match="positive ints"):
        client().fetch_stock([1, bad])


def test_ids_are_split_into_lists_of_max_ids_per_request_when_ranges_are_off(rsps):
    rows = [stock(100 + p, p, 0, p) for p in range(1, 6)]
    serve_stock(rsps, rows)

    read = client(max_ids_per_request=2, range_spread=0).fetch_stock(range(1, 6))

    assert filters_sent(rsps) == ["[1|2]", "[3|4]", "[5]"]
    assert {key: row.quantity for key, row in read.rows.items()} == {
        (1, 0): 1,
        (2, 0): 2,
        (3, 0): 3,
        (4, 0): 4,
        (5, 0): 5,
    }
    assert read.requests == 3


def test_ids_that_fit_one_list_are_read_by_list_not_by_range(rsps):
    serve_stock(rsps, [stock(p, p) for p in range(1, 300)])

    read = client().fetch_stock([3, 4, 5, 9])

    assert filters_sent(rsps) == ["[3|4|5|9]"]
    assert set(read.rows) == {(3, 0), (4, 0), (5, 0), (9, 0)}


def test_a_chunk_of_500_ids_over_700_products_is_one_range_read_that_drops_the_rest(rsps):
    # 500 links of a chunk spread over products 1000-1699: two OR-lists, or one range read.
    wanted = sorted({1000 + (i * 7) // 5 for i in range(500)})
    serve_stock(rsps, [stock(p, p, 0, p % 50) for p in range(900, 1800)])

    read = client().fetch_stock(wanted)

    assert filters_sent(rsps) == [f"[{wanted[0]},{wanted[-1]}]"]
    assert "filter%5Bid_product%5D=%5B1000,1698%5D" in rsps.calls[0].request.url
    assert read.requests == 1
    assert sorted(read.rows) == [(p, 0) for p in wanted]
    assert read.rows[(1001, 0)] == stock(1001, 1001, 0, 1001 % 50)
    assert read.missing_products == frozenset()


def test_ids_spread_wider_than_the_range_spread_are_read_by_lists(rsps):
    wanted = list(range(10, 10 + 4 * 400, 4))  # 400 ids, one product in four
    serve_stock(rsps, [stock(p, p) for p in wanted])

    read = client().fetch_stock(wanted)

    assert all("," not in f for f in filters_sent(rsps))
    assert read.requests == len(filters_sent(rsps)) == 2
    assert len(read.rows) == 400


def test_dense_runs_become_ranges_and_stray_ids_one_list(rsps):
    runs = [*range(1, 301), *range(5000, 5300)]
    strays = [2000, 3000, 9000, 12000]
    serve_stock(rsps, [stock(p, p) for p in [*runs, *strays, 4000]])

    read = client(max_ids_per_request=100).fetch_stock([*runs, *strays])

    # As OR-lists of 100 ids: 7 reads; one range and lists: 5.
    assert filters_sent(rsps) == ["[1,300]", "[2000|3000|9000|12000]", "[5000,5299]"]
    assert len(read.rows) == 604
    assert (4000, 0) not in read.rows


def test_a_missing_product_inside_a_range_is_reported_missing(rsps):
    wanted = [p for p in range(1, 601) if p != 77]
    serve_stock(rsps, [stock(p, p) for p in range(1, 601) if p not in (77, 78)])

    read = client().fetch_stock(wanted)

    assert filters_sent(rsps) == ["[1,600]"]
    assert read.missing_products == frozenset({78})


def test_a_range_read_refuses_rows_outside_the_range(rsps):
    add_stock_list(rsps, stock_json([stock(p, p) for p in range(1, 601)] + [stock(999, 999)]))

    with pytest.raises(UnexpectedResponse, match=r"not asked for \(product 999\)"):
        client().fetch_stock(range(1, 601))


def test_long_id_lists_are_split_so_each_request_line_stays_under_3500_bytes(rsps):
    ids = list(range(1_000_000, 1_010_000, 10))  # 1000 sparse seven-digit ids: ~10 KB encoded
    serve_stock(rsps, [stock(i, i, 0, 1) for i in ids])

    read = client(max_ids_per_request=1000).fetch_stock(ids)

    lines = [
        f"GET {urlsplit(c.request.url).path}?{urlsplit(c.request.url).query} HTTP/1.1"
        for c in rsps.calls
    ]
    assert max(len(line) for line in lines) <= 3500
    assert len(rsps.calls) == 4
    sent = [int(i) for f in filters_sent(rsps) for i in f[1:-1].split("|")]
    assert sent == ids
    assert len(read.rows) == 1000
    assert read.missing_products == frozenset()


def test_a_full_page_is_followed_by_the_next_page_until_a_short_one(rsps, monkeypatch):
    monkeypatch.setattr(query, "STOCK_PAGE_SIZE", 100)
    # 21 products with 5 combinations each: 105 rows, more than one page of 100.
    rows = [stock(p * 10 + a, p, a, a) for p in range(1, 22) for a in range(1, 6)]
    serve_stock(rsps, rows)

    read = client().fetch_stock(range(1, 22))

    assert [query_of(c)["limit"] for c in rsps.calls] == ["0,100", "100,100"]
    assert len(read.rows) == 105
    assert read.rows[(21, 5)].quantity == 5
    assert read.requests == 2


def test_a_page_of_exactly_the_page_size_costs_one_more_request(rsps, monkeypatch):
    monkeypatch.setattr(query, "STOCK_PAGE_SIZE", 100)
    rows = [stock(p * 10 + a, p, a, 1) for p in range(1, 21) for a in range(1, 6)]
    serve_stock(rsps, rows)

    read = client().fetch_stock(range(1, 21))

    assert len(read.rows) == 100
    assert [query_of(c)["limit"] for c in rsps.calls] == ["0,100", "100,100"]


def test_rows_of_products_not_asked_for_raise_unexpected_response(rsps):
    add_stock_list(rsps, stock_json([stock(21, 7), stock(99, 55)]))

    with pytest.raises(UnexpectedResponse) as caught:
        client().fetch_stock([7])

    assert str(caught.value) == (
        "the shop returned stock rows for products that were not asked for (product 55) "
        "— it may be ignoring filters"
    )


def test_rows_of_another_shop_raise_when_a_shop_id_is_set(rsps):
    add_stock_list(rsps, stock_json([stock(21, 7, shop=1), stock(41, 7, 31, shop=2)]))

    with pytest.raises(UnexpectedResponse, match=r"stock row 41 of shop 2 .* asked for shop 1"):
        client(shop_id=1).fetch_stock([7])


def test_shared_stock_rows_of_the_shop_group_are_accepted_with_a_shop_id(rsps):
    shared = stock(50, 7, 0, 12, shop=0, group=2)
    add_stock_list(rsps, stock_json([shared]))

    read = client(shop_id=3).fetch_stock([7])

    assert read.rows == {(7, 0): shared}


def test_two_rows_for_one_combination_raise_and_name_the_multistore_cause(rsps):
    add_stock_list(rsps, stock_json([stock(21, 7, shop=1), stock(41, 7, shop=2)]))

    with pytest.raises(UnexpectedResponse, match=r"two stock rows \(21 and 41\) for product 7"):
        client().fetch_stock([7])


def test_a_page_larger_than_asked_raises_as_limit_ignored(rsps, monkeypatch):
    monkeypatch.setattr(query, "STOCK_PAGE_SIZE", 10)
    rows = [stock(i, 1, i, 1) for i in range(1, 12)]
    add_stock_list(rsps, stock_json(rows))

    with pytest.raises(UnexpectedResponse, match="11 stock_availables for a page of 10"):
        client().fetch_stock([1])


def test_a_row_repeated_across_pages_raises_instead_of_looping(rsps, monkeypatch):
    monkeypatch.setattr(query, "STOCK_PAGE_SIZE", 10)
    rows = [stock(i, 1, i, 1) for i in range(1, 11)]
    add_stock_list(rsps, stock_json(rows))  # the same full page, whatever the offset

    with pytest.raises(UnexpectedResponse, match="stock_available 1 twice while paging"):
        client().fetch_stock([1])
    assert len(rsps.calls) == 2


def test_a_list_row_without_a_requested_field_raises(rsps):
    add_stock_list(rsps, '{"stock_availables":[{"id":21,"id_product":"7"}]}')

    with pytest.raises(UnexpectedResponse, match="lacks the field 'id_product_attribute'"):
        client().fetch_stock([7])


def test_a_quantity_that_is_not_a_whole_number_raises(rsps):
    body = stock_json([stock(21, 7)]).replace('"quantity": "0"', '"quantity": "12.5"')
    add_stock_list(rsps, body)

    with pytest.raises(UnexpectedResponse, match=r"'quantity' is not a whole number: '12\.5'"):
        client().fetch_stock([7])


def test_every_request_goes_through_one_limiter_slot(rsps):
    serve_stock(rsps, [stock(i, i) for i in range(1, 6)])
    limiter = RecordingLimiter()

    client(limiter=limiter, max_ids_per_request=2, range_spread=0).fetch_stock(range(1, 6))

    assert limiter.slots == 3
    assert limiter.active == 0
    assert limiter.backoffs == []


def test_fetch_row_fills_the_fields_json_drops_when_zero(rsps):
    body = '{"stock_available":{"id":24,"id_product":"8","id_shop":"1","out_of_stock":"2"}}'
    rsps.add(responses.GET, API + "stock_availables/24", body=body, content_type=JSON, headers=V8)

    row = client().fetch_row(24)

    assert row == stock(24, 8, 0, 0, shop=1, group=0, location="", oos=2)


def test_fetch_row_reads_the_plural_form_json_uses_when_display_is_given(rsps):
    body = stock_json([stock(22, 7, 31, 10, location="A-01")])
    rsps.add(responses.GET, API + "stock_availables/22", body=body, content_type=JSON)

    assert client().fetch_row(22) == stock(22, 7, 31, 10, location="A-01")
