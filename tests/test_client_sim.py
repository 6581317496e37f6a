"""The real PrestaShop client against the simulator served over HTTP on 127.0.0.1.

Every test runs on PrestaShop 1.7.8 and 8.1 (with JSON numbers as strings and as ints, the
PHP >= 8.1 quirk of reference §3.3) unless it is about a version-only behaviour.
"""

import contextlib
import time
from dataclasses import asdict, replace

import pytest
import requests

from integrations.prestashop import (
    NO_RETRIES,
    Failure,
    PrestaShopClient,
    RateLimited,
    ShopConfigError,
    ShopTemporaryError,
    StockRow,
    StockRowNotFound,
    UnexpectedResponse,
    WriteNotApplied,
    query,
)
from integrations.prestashop.access import NO_COMBINATIONS, NO_PATCH, NO_STOCK_READ, NO_STOCK_WRITE
from prestashop_sim.auth import ApiKey, default_keys, full_permissions
from tests.test_client_helpers import retrying

V17 = pytest.param(("1.7.8.11", False), id="ps1.7")
V8 = pytest.param(("8.1.7", False), id="ps8-strings")
V8_INTS = pytest.param(("8.1.7", True), id="ps8-ints")
KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
NO_PATCH_KEY = "NOPATCHNOPATCHNOPATCHNOPATCHNOPA"
PRODUCTS_ONLY_KEY = "PRODUCTSONLYPRODUCTSONLYPRODUCTS"
SHARED_STOCK = {
    "groups": [{"id": 1, "share_stock": True, "shops": [1, 2]}, {"id": 2, "shops": [3]}]
}
PER_SHOP = {"groups": [{"id": 1, "shops": [1, 2]}]}
# A simple product whose row has a location and a non-default out_of_stock: a PUT that
# omitted them would visibly reset them (reference §4.3).
PLACED = {"reference": "PLACED-1", "quantity": 4, "location": "B-07", "out_of_stock": 1}


@pytest.fixture(params=[V17, V8, V8_INTS])
def shop_kind(request):
    """(ps_version, json_ints) of the simulated shop."""
    return request.param


@pytest.fixture
def start(simulator_factory, shop_kind):
    """Start a simulator of the current version with any run_simulator options."""
    version, json_ints = shop_kind

    def start(**options):
        return simulator_factory(ps_version=version, json_ints=json_ints, **options)

    return start


@pytest.fixture
def shop(start):
    """The section-9 shop (products 7 and 8) plus 20 generated products."""
    return start(section9=True, products=20)


@pytest.fixture
def connect():
    """PrestaShopClient factory for a simulator; every client is closed at teardown."""
    with contextlib.ExitStack() as stack:

        def connect(sim, key=None, **options):
            options.setdefault("retry", NO_RETRIES)
            client = PrestaShopClient(sim.url, key or sim.key, **options)
            stack.callback(client.close)
            return client

        yield connect


class RecordingLimiter:
    """A Limiter that lets everything through and remembers slots and backoffs."""

    def __init__(self):
        self.slots = 0
        self.backoffs = []

    @contextlib.contextmanager
    def slot(self):
        self.slots += 1
        yield

    def backoff(self, retry_after):
        self.backoffs.append(retry_after)


class AuthDroppingSession(requests.Session):
    """A host running PHP as CGI that loses the Authorization header (reference §1.2)."""

    def send(self, request, **kwargs):
        request.headers.pop("Authorization", None)
        return super().send(request, **kwargs)


def sim_rows(sim, product_ids) -> dict[tuple[int, int], StockRow]:
    """The simulator's stock rows of the products, keyed as StockRead.rows is."""
    rows = sim.stock_rows(products=list(product_ids))
    return {(r["id_product"], r["id_product_attribute"]): StockRow(**r) for r in rows}


def requests_by(sim) -> dict[str, int]:
    """Answered requests as {"METHOD resource status": n}."""
    return sim.counters()["by_request"]


def is_modern(shop_kind) -> bool:
    """True for PrestaShop 8 (PATCH exists)."""
    return shop_kind[0].startswith("8")


def with_keys(*extra: ApiKey, modern: bool) -> dict[str, ApiKey]:
    keys = default_keys(KEY, modern=modern)
    keys.update({k.key: k for k in extra})
    return keys


# -- version and access --------------------------------------------------------------------


def test_version_is_read_once_from_the_shop(shop, connect, shop_kind):
    client = connect(shop)

    assert client.version() == shop_kind[0]
    assert client.version() == shop_kind[0]
    assert requests_by(shop) == {"GET  200": 1}


def test_full_key_has_every_stock_right_and_no_problem(shop, connect, shop_kind):
    report = connect(shop).check_access()

    assert report.version == shop_kind[0]
    assert report.problems == []
    assert report.warnings == []
    assert {"GET", "PUT"} <= report.resources["stock_availables"]
    assert ("PATCH" in report.resources["stock_availables"]) is is_modern(shop_kind)


def test_read_only_key_is_told_it_cannot_put(shop, connect):
    report = connect(shop, key=shop.read_only_key).check_access()

    assert report.problems == [NO_STOCK_WRITE]
    assert "PUT" in report.problems[0]
    assert report.resources["stock_availables"] == {"GET", "HEAD"}


@pytest.mark.parametrize("key", ["DISABLEDDISABLEDDISABLEDDISABLED", "WRONGKEY" * 4])
def test_disabled_or_unknown_key_is_a_config_error(shop, connect, key):
    with pytest.raises(ShopConfigError) as caught:
        connect(shop, key=key).check_access()

    assert (caught.value.status, caught.value.codes) == (401, [20, 21])
    assert "unknown or disabled" in str(caught.value)
    assert key not in str(caught.value)


def test_key_without_any_permission_is_a_config_error(shop, connect):
    with pytest.raises(ShopConfigError) as caught:
        connect(shop, key=shop.no_permission_key).check_access()

    assert (caught.value.status, caught.value.codes) == (401, [21])
    assert "no permissions" in str(caught.value)


def test_key_that_may_only_read_products_lists_each_missing_right(start, connect, shop_kind):
    products_only = ApiKey(PRODUCTS_ONLY_KEY, {"products": {"GET"}})
    sim = start(section9=True, keys=with_keys(products_only, modern=is_modern(shop_kind)))

    report = connect(sim, key=PRODUCTS_ONLY_KEY).check_access()

    assert report.problems == [NO_STOCK_READ, NO_STOCK_WRITE, NO_COMBINATIONS]


def test_key_not_linked_to_the_shop_is_a_config_error(start, connect, shop_kind):
    shop_one_only = ApiKey(KEY, full_permissions(modern=is_modern(shop_kind)), shops=frozenset({1}))
    sim = start(section9=True, layout=PER_SHOP, keys={KEY: shop_one_only})

    with pytest.raises(ShopConfigError) as caught:
        connect(sim, shop_id=2).fetch_stock([7])

    assert (caught.value.status, caught.value.codes) == (403, [132])


def test_a_host_that_drops_basic_auth_is_reached_with_ws_key(shop, connect):
    session = AuthDroppingSession()
    client = connect(shop, session=session)

    first = client.fetch_stock([7])
    second = client.fetch_stock([8])
    session.close()

    assert (first.requests, second.requests) == (2, 1)
    assert requests_by(shop) == {"GET stock_availables 401": 1, "GET stock_availables 200": 2}
    assert second.rows == sim_rows(shop, [8])


# -- reads ---------------------------------------------------------------------------------


def test_fetch_stock_returns_the_simulators_rows_and_reports_missing_products(shop, connect):
    with_combinations = sorted(
        {
            i["id_product"]
            for i in shop.catalogue()
            if i["id_product_attribute"] and i["id_product"] > 8
        }
    )
    asked = [7, 8, 9, 10, *with_combinations, 9999, 12345]

    read = connect(shop).fetch_stock(asked)

    present = [p for p in asked if p < 9999]
    assert read.rows == sim_rows(shop, present)
    assert read.rows[(7, 31)].quantity == 10
    assert read.rows[(7, 0)].quantity == 15
    assert read.rows[(8, 0)].quantity == 0
    assert len(with_combinations) >= 2
    assert read.missing_products == frozenset({9999, 12345})
    assert read.requests == 1
    assert requests_by(shop) == {"GET stock_availables 200": 1}


def test_600_dense_ids_are_one_range_read(start, connect):
    sim = start(products=700, combination_share=0.1)
    asked = [p for p in range(1, 701) if p % 7]  # 600 ids over 700 products

    read = connect(sim).fetch_stock(asked)

    assert read.requests == 1
    assert requests_by(sim) == {"GET stock_availables 200": 1}
    assert read.rows == sim_rows(sim, asked)
    assert read.missing_products == frozenset()


@pytest.mark.parametrize(("max_ids", "expected_requests"), [(250, 3), (100, 6)])
def test_600_sparse_ids_are_split_into_requests_of_at_most_max_ids(
    start, connect, max_ids, expected_requests
):
    sim = start(products=2400, combination_share=0.1)
    asked = range(1, 2401, 4)  # one product in four: a range would read four times the rows

    read = connect(sim, max_ids_per_request=max_ids).fetch_stock(asked)

    assert read.requests == expected_requests
    assert requests_by(sim) == {"GET stock_availables 200": expected_requests}
    assert read.rows == sim_rows(sim, asked)
    assert read.missing_products == frozenset()


def test_pages_smaller_than_the_rows_are_all_read(start, connect, monkeypatch):
    sim = start(products=30, combination_share=0.5)
    monkeypatch.setattr(query, "STOCK_PAGE_SIZE", 4)
    expected = sim_rows(sim, range(1, 31))

    read = connect(sim).fetch_stock(range(1, 31))

    assert read.rows == expected
    # Pages of 4 until a short one; a last full page costs one more (empty) request.
    assert read.requests == len(expected) // 4 + 1
    assert requests_by(sim) == {"GET stock_availables 200": read.requests}


def test_iter_catalogue_returns_every_product_and_combination_in_a_few_requests(start, connect):
    sim = start(products=1000, combination_share=0.25, seed=3)
    expected = {
        (i["id_product"], i["id_product_attribute"], i["reference"], i["ean13"])
        for i in sim.catalogue()
    }
    combinations = sum(1 for item in expected if item[1])

    client = connect(sim)
    items = [
        (i.id_product, i.id_product_attribute, i.reference, i.ean13)
        for i in client.iter_catalogue()
    ]

    assert len(items) == len(expected) > 1400
    assert set(items) == expected
    pages = (1000 // query.PAGE_SIZE + 1) + (combinations // query.PAGE_SIZE + 1)
    assert client.requests_sent == pages == 3
    assert requests_by(sim) == {"GET products 200": 2, "GET combinations 200": 1}


def test_a_row_of_another_shop_is_not_found_and_a_zero_row_reads_whole(start, connect):
    sim = start(section9=True, layout=PER_SHOP)
    client = connect(sim, shop_id=2)

    with pytest.raises(StockRowNotFound) as caught:
        client.fetch_row(24)  # product 8's row of shop 1

    assert (caught.value.stock_id, caught.value.codes) == (24, [131])
    # Row 28 has quantity 0: the 8.x JSON single object drops it (reference §3.3).
    assert asdict(client.fetch_row(28)) == sim.stock_rows(ids=[28])[0]


# -- writes --------------------------------------------------------------------------------


def test_write_uses_patch_on_8_and_a_full_put_on_17_and_keeps_every_other_field(
    start, connect, shop_kind
):
    sim = start(items=[PLACED])
    client = connect(sim)
    row = client.fetch_stock([1]).rows[(1, 0)]
    sim.reset_counters()

    echoed = client.write_quantity(row, 11)

    method = "PATCH" if is_modern(shop_kind) else "PUT"
    assert requests_by(sim) == {f"{method} stock_availables 200": 1}
    after = sim.stock_rows(ids=[row.id])[0]
    assert after == {**asdict(row), "quantity": 11}
    assert (after["id_shop"], after["id_shop_group"]) == (1, 0)
    assert (after["location"], after["out_of_stock"]) == ("B-07", 1)
    assert echoed == replace(row, quantity=11)


def test_combination_write_updates_the_product_row_to_the_sum(shop, connect):
    client = connect(shop)
    rows = client.fetch_stock([7]).rows
    shop.reset_counters()

    client.write_quantity(rows[(7, 31)], 12)

    assert shop.quantity(22) == 12
    assert shop.quantity(21) == 12 + 5
    assert shop.stock_rows(ids=[22])[0]["location"] == "A-01"
    counters = shop.counters()
    assert counters["action_update_quantity"] == 1
    assert counters["hook_events"][0]["quantity"] == 17


def test_writing_zero_is_applied_and_verified(shop, connect):
    client = connect(shop)
    rows = client.fetch_stock([7]).rows

    echoed = client.write_quantity(rows[(7, 32)], 0)

    assert echoed.quantity == 0
    assert (shop.quantity(23), shop.quantity(21)) == (0, 10)


@pytest.mark.parametrize("shop_kind", [V8, V8_INTS], indirect=True)
def test_key_without_patch_falls_back_to_put_once_on_8(start, connect, shop_kind):
    perms = full_permissions(modern=True)
    perms["stock_availables"] -= {"PATCH"}
    sim = start(items=[PLACED], keys=with_keys(ApiKey(NO_PATCH_KEY, perms), modern=True))
    client = connect(sim, key=NO_PATCH_KEY)
    row = client.fetch_stock([1]).rows[(1, 0)]
    sim.reset_counters()

    client.write_quantity(row, 6)
    client.write_quantity(replace(row, quantity=6), 7)

    assert requests_by(sim) == {"PATCH stock_availables 405": 1, "PUT stock_availables 200": 2}
    assert sim.stock_rows(ids=[row.id])[0] == {**asdict(row), "quantity": 7}


@pytest.mark.parametrize("shop_kind", [V8], indirect=True)
def test_access_check_of_a_key_without_patch_warns_and_writes_go_straight_to_put(
    start, connect, shop_kind
):
    perms = full_permissions(modern=True)
    perms["stock_availables"] -= {"PATCH"}
    sim = start(items=[PLACED], keys=with_keys(ApiKey(NO_PATCH_KEY, perms), modern=True))
    client = connect(sim, key=NO_PATCH_KEY)

    report = client.check_access()
    row = client.fetch_stock([1]).rows[(1, 0)]
    sim.reset_counters()
    client.write_quantity(row, 9)

    assert (report.problems, report.warnings) == ([], [NO_PATCH])
    assert requests_by(sim) == {"PUT stock_availables 200": 1}
    assert sim.quantity(row.id) == 9


@pytest.mark.parametrize(
    ("layout", "scope"), [(SHARED_STOCK, (0, 1)), (PER_SHOP, (2, 0))], ids=["shared", "per-shop"]
)
def test_multistore_reads_are_scoped_and_writes_keep_the_rows_shop(start, connect, layout, scope):
    sim = start(section9=True, layout=layout)
    before = {r["id"]: r for r in sim.stock_rows()}
    client = connect(sim, shop_id=2)

    rows = client.fetch_stock([7, 8]).rows
    client.write_quantity(rows[(7, 31)], 3)
    client.write_quantity(rows[(8, 0)], 9)

    in_scope = {r.id for r in rows.values()}
    assert {(r.id_shop, r.id_shop_group) for r in rows.values()} == {scope}
    assert len(rows) == 4
    after = {r["id"]: r for r in sim.stock_rows()}
    changed = {
        rows[(7, 31)].id: 3,
        rows[(7, 0)].id: 3 + rows[(7, 32)].quantity,
        rows[(8, 0)].id: 9,
    }
    assert after == {i: {**r, "quantity": changed.get(i, r["quantity"])} for i, r in before.items()}
    assert in_scope >= set(changed)


# -- faults --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_temporary(shop, connect, status):
    shop.faults.add("http_error", status=status, count=1)

    with pytest.raises(ShopTemporaryError) as caught:
        connect(shop).fetch_stock([7])

    assert type(caught.value) is ShopTemporaryError
    assert caught.value.status == status


def test_a_php_warning_500_is_temporary_with_its_code(shop, connect):
    shop.faults.add("php_warning", count=1)

    with pytest.raises(ShopTemporaryError, match="PHP Warning") as caught:
        connect(shop).fetch_stock([7])

    assert (caught.value.status, caught.value.codes) == (500, [3])


def test_a_maintenance_page_is_temporary(shop, connect):
    shop.faults.add("maintenance", count=1)

    with pytest.raises(ShopTemporaryError) as caught:
        connect(shop).fetch_stock([7])

    # A 503 page from the host in front of the shop (reference §3.4): retry later.
    assert caught.value.status == 503
    assert "Maintenance" in str(caught.value)


def test_a_dropped_connection_is_temporary_and_its_answer_lost(shop, connect):
    shop.faults.add("drop", count=1)

    with pytest.raises(ShopTemporaryError, match="broke before the whole answer") as caught:
        connect(shop).fetch_stock([7])

    assert (caught.value.kind, caught.value.answer_lost) == (Failure.CONNECTION_LOST, True)


def test_a_hanging_shop_times_out_as_temporary(shop, connect):
    shop.faults.add("hang", seconds=0.5, count=1)

    with pytest.raises(ShopTemporaryError, match="did not answer in time") as caught:
        connect(shop, timeout=(1.0, 0.1)).fetch_stock([7])

    assert type(caught.value) is ShopTemporaryError


@pytest.mark.parametrize("kind", ["truncated", "malformed", "wrong_content_type", "php_leak"])
def test_a_broken_list_reply_is_unexpected(shop, connect, kind):
    shop.faults.add(kind, count=1)

    with pytest.raises(UnexpectedResponse):
        connect(shop).fetch_stock([7, 8])


@pytest.mark.parametrize("kind", ["truncated", "malformed", "wrong_content_type", "php_leak"])
def test_a_broken_write_echo_is_unexpected(shop, connect, kind):
    client = connect(shop)
    row = client.fetch_stock([8]).rows[(8, 0)]
    shop.faults.add(kind, count=1, methods={"PUT", "PATCH"})

    with pytest.raises(UnexpectedResponse):
        client.write_quantity(row, 40)


@pytest.mark.parametrize("variant", ["billion_laughs", "external"])
def test_an_entity_bomb_is_refused_without_expanding(shop, connect, variant):
    shop.faults.add("entity_bomb", variant=variant, count=1)

    with pytest.raises(UnexpectedResponse, match="declares a DTD or entities") as caught:
        connect(shop).fetch_stock([7])

    assert "lol" not in str(caught.value)
    assert "root:" not in str(caught.value)


def test_a_shop_ignoring_the_filter_is_unexpected_and_names_the_foreign_rows(shop, connect):
    shop.faults.add("ignore_filter", count=1)

    with pytest.raises(UnexpectedResponse, match="ignoring filters") as caught:
        connect(shop).fetch_stock([8])

    assert "(product 7)" in str(caught.value)


def test_a_write_whose_echo_shows_the_old_quantity_is_not_applied(shop, connect):
    client = connect(shop)
    row = client.fetch_stock([8]).rows[(8, 0)]
    shop.faults.add("not_applied", variant="reverted", count=1, methods={"PUT", "PATCH"})

    with pytest.raises(WriteNotApplied) as caught:
        client.write_quantity(row, 40)

    assert (caught.value.expected, caught.value.actual, caught.value.stock_id) == (40, 0, 24)
    assert shop.quantity(24) == 0


def test_a_silently_dropped_write_echoes_the_value_and_only_a_reread_shows_it(shop, connect):
    client = connect(shop)
    row = client.fetch_stock([8]).rows[(8, 0)]
    shop.faults.add("not_applied", count=1, methods={"PUT", "PATCH"})

    echoed = client.write_quantity(row, 40)

    # The echo is the object in memory, i.e. what was sent (reference §4.3); the sync
    # engine's verifying read is what catches this case.
    assert echoed.quantity == 40
    assert client.fetch_stock([8]).rows[(8, 0)].quantity == 0


def test_a_rate_limited_shop_raises_rate_limited_with_its_retry_after(start, connect):
    sim = start(section9=True, rate_limit=2, rate_window=30, clock=lambda: 1000.0)
    limiter = RecordingLimiter()
    client = connect(sim, limiter=limiter)
    client.fetch_stock([7])
    client.fetch_stock([8])

    with pytest.raises(RateLimited) as caught:
        client.fetch_stock([7])

    assert caught.value.retry_after == 30.0
    assert caught.value.status == 429
    assert limiter.backoffs == [30.0]
    assert limiter.slots == 3 == client.requests_sent


def test_a_rate_limit_without_retry_after_raises_rate_limited_without_a_delay(start, connect):
    sim = start(section9=True, rate_limit=1, retry_after=False, clock=lambda: 1000.0)
    limiter = RecordingLimiter()
    client = connect(sim, limiter=limiter)
    client.fetch_stock([7])

    with pytest.raises(RateLimited) as caught:
        client.fetch_stock([7])

    assert caught.value.retry_after is None
    assert limiter.backoffs == [None]


def test_a_deleted_product_is_missing_and_its_row_cannot_be_written(shop, connect):
    client = connect(shop)
    row = client.fetch_stock([7, 8]).rows[(8, 0)]
    shop.delete_product(8)

    read = client.fetch_stock([7, 8])
    with pytest.raises(StockRowNotFound) as caught:
        client.write_quantity(row, 5)

    assert read.missing_products == frozenset({8})
    assert set(read.rows) == {(7, 0), (7, 31), (7, 32)}
    assert (caught.value.stock_id, caught.value.status, caught.value.codes) == (24, 404, [92])


# -- retries -------------------------------------------------------------------------------


def test_a_server_error_is_retried_once_and_the_read_succeeds(shop, connect):
    shop.faults.add("http_error", status=502, count=1)
    sleeps = []

    read = connect(shop, retry=retrying(sleeps)).fetch_stock([7])

    assert read.rows == sim_rows(shop, [7])
    assert read.requests == 2
    assert requests_by(shop) == {"GET stock_availables 502": 1, "GET stock_availables 200": 1}
    assert sleeps == [1.0]


@pytest.mark.parametrize("kind", ["truncated", "malformed", "maintenance"])
def test_a_broken_or_foreign_reply_is_read_again(shop, connect, kind):
    shop.faults.add(kind, count=1)

    read = connect(shop, retry=retrying([])).fetch_stock([7, 8])

    assert read.rows == sim_rows(shop, [7, 8])
    assert read.requests == 2


def test_an_entity_bomb_is_not_asked_for_again(shop, connect):
    shop.faults.add("entity_bomb", count=2)

    with pytest.raises(UnexpectedResponse):
        connect(shop, retry=retrying([])).fetch_stock([7])

    assert requests_by(shop) == {"GET stock_availables 200": 1}


def test_a_shop_that_keeps_limiting_spends_the_429_budget_and_raises(start, connect):
    sim = start(section9=True, rate_limit=1, rate_window=30, clock=lambda: 1000.0)
    limiter, sleeps = RecordingLimiter(), []
    client = connect(sim, limiter=limiter, retry=retrying(sleeps, rate_limited_retries=2))
    client.fetch_stock([7])

    with pytest.raises(RateLimited) as caught:
        client.fetch_stock([8])

    assert caught.value.attempts == 3
    assert sleeps == [30.0, 30.0]
    assert limiter.backoffs == [30.0, 30.0, 30.0]
    assert sim.counters()["rate_limited"] == 3


def test_a_dropped_write_is_sent_again_and_its_row_reported_uncertain(shop, connect):
    client = connect(shop, retry=retrying([]))
    row = client.fetch_stock([8]).rows[(8, 0)]
    shop.faults.add("drop", count=1, methods={"PUT", "PATCH"})

    echoed = client.write_quantity(row, 40)

    assert echoed.quantity == 40 == shop.quantity(row.id)
    assert client.uncertain_rows == {row.id}


@pytest.mark.parametrize("shop_kind", [V8], indirect=True)
def test_a_write_that_timed_out_can_land_late_over_a_newer_value_so_its_row_is_uncertain(
    shop, connect
):
    client = connect(shop, timeout=(1.0, 0.2), retry=retrying([]))
    row = client.fetch_stock([8]).rows[(8, 0)]
    shop.faults.add("hang", seconds=1.0, count=1, methods={"PATCH"})

    client.write_quantity(row, 40)  # times out, is retried and lands
    client.write_quantity(replace(row, quantity=40), 41)  # a newer value
    wait_for_answers(shop, "PATCH stock_availables 200", 3)  # the first PATCH lands now

    assert shop.quantity(row.id) == 40  # the late first write overwrote 41
    assert client.uncertain_rows == {row.id}  # which is why the caller must read it again


def wait_for_answers(sim, key, count, timeout=10.0):
    """Wait until the simulator has answered `count` requests counted under `key`."""
    deadline = time.monotonic() + timeout
    while requests_by(sim).get(key, 0) < count:
        assert time.monotonic() < deadline, requests_by(sim)
        time.sleep(0.02)
