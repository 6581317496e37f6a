"""Multi-row writes in the engine, against the simulator as a real HTTP server: batch sizes,
the fallback to single writes, failed batches resolved by a re-read, halving, PrestaShop 1.7."""

import logging
import time

import pytest

from integrations.engine import drain, runs
from integrations.engine.connection import check_connection
from integrations.models import Integration, ProductLink, SyncRun
from tests.fixtures.integrations import shop_reads, shop_writes

pytestmark = pytest.mark.django_db

NO_GROWTH = 1e-9  # INVSYNC_WRITE_BATCH_SECONDS no write fits: the size stays as set


@pytest.fixture
def linked(shop, make_integration, make_product, link_shop, warehouse, receive_stock):
    """linked(n, **integration fields) -> (integration, products, rows): n products linked
    to shop rows holding 0, received into the ledger (1, 2, 3, ...), not yet synced."""

    def make(n, **fields):
        integration = make_integration(shop, **fields)
        products = [make_product(f"B{i:04d}") for i in range(1, n + 1)]
        rows = link_shop(shop, integration, products)
        receive_stock(warehouse, {p: i for i, p in enumerate(products, start=1)})
        shop.reset_counters()
        return integration, products, rows

    return make


def shop_holds_the_ledger(shop, products, rows) -> bool:
    return [shop.quantity(rows[p.pk]) for p in products] == list(range(1, len(products) + 1))


def sync_all(integration):
    return drain.sync_links(integration, integration.links.values_list("pk", flat=True))


@pytest.mark.parametrize(("size", "writes"), [(50, 4), (60, 4), (100, 2), (200, 1), (500, 1)])
def test_200_changed_rows_are_written_in_ceil_200_over_size_requests(
    linked, shop, settings, size, writes
):
    settings.INVSYNC_WRITE_BATCH_SECONDS = NO_GROWTH
    integration, products, rows = linked(200, batch_size=size)

    result = sync_all(integration)

    assert writes == -(-200 // size)  # 60: 60, 60, 60, 20 (20 is over a quarter of 60)
    assert (result.changed, result.failed, shop_writes(shop)) == (200, 0, writes)
    assert shop_reads(shop) == 2  # the diff read and the re-read that verifies the writes
    assert result.requests == shop.counters()["total"] == writes + 2
    assert shop_holds_the_ledger(shop, products, rows)
    assert not ProductLink.objects.filter(dirty=True).exists()


@pytest.mark.parametrize(("size", "writes"), [(64, 3), (90, 2), (180, 1)])
def test_a_remainder_of_at_most_a_quarter_of_the_size_rides_with_the_last_request(
    linked, shop, settings, size, writes
):
    settings.INVSYNC_WRITE_BATCH_SECONDS = NO_GROWTH
    integration, products, rows = linked(200, batch_size=size)

    result = sync_all(integration)

    # 64: 64, 64, 72 (the 8 left over ride along); 90: 90, 110; 180: all 200 at once.
    assert (result.changed, shop_writes(shop)) == (200, writes)
    assert shop_holds_the_ledger(shop, products, rows)


def test_the_size_grows_while_writes_are_quick_and_is_kept_for_the_next_pass(linked, shop):
    integration, products, rows = linked(200)  # starts at 50

    result = sync_all(integration)

    # 50 rows, then 100 (doubled after a quick write), then the last 50.
    assert (result.changed, shop_writes(shop), result.batch_size) == (200, 3, 400)
    integration.refresh_from_db()
    assert integration.batch_size == 400
    assert integration.batch_support == Integration.BatchSupport.SUPPORTED
    assert shop_holds_the_ledger(shop, products, rows)


def test_with_multi_row_writes_off_every_row_is_its_own_request(linked, shop):
    integration, products, rows = linked(20, batch_writes="off")

    result = sync_all(integration)

    assert (result.changed, shop_writes(shop), result.batch_size) == (20, 20, 0)
    assert shop_holds_the_ledger(shop, products, rows)
    integration.refresh_from_db()
    assert integration.batch_support == Integration.BatchSupport.UNKNOWN  # never tried


@pytest.mark.parametrize("status", [400, 413], ids=["code-90", "proxy-413"])
def test_a_shop_that_refuses_several_rows_is_written_row_by_row_and_remembered(
    linked, shop, receive_stock, warehouse, caplog, status
):
    shop.set_config(multi_row="refuse", multi_row_status=status)
    integration, products, rows = linked(20)
    caplog.set_level(logging.WARNING, logger="integrations.sync")

    result = sync_all(integration)

    assert (result.changed, result.failed, result.batch_size) == (20, 0, 0)
    assert shop_writes(shop) == 1 + 20  # the refused batch wrote nothing; then one by one
    assert shop_holds_the_ledger(shop, products, rows)
    integration.refresh_from_db()
    assert integration.batch_support == Integration.BatchSupport.UNSUPPORTED
    assert integration.batch_support_reason.startswith(
        "Sklep nie przyjmuje wielu wierszy stanów w jednym zapytaniu. Szczegóły: "
    )
    assert integration.batch_support_checked_at is not None

    # The next pass writes one row per request straight away; the reason was logged once.
    receive_stock(warehouse, {products[0]: 1, products[1]: 1})
    shop.reset_counters()
    drain.drain(integration.pk)
    assert shop_writes(shop) == 2
    refusals = [r for r in caplog.records if "multi-row writes refused" in r.getMessage()]
    assert len(refusals) == 1


def test_always_on_tries_several_rows_each_pass_but_logs_the_refusal_once(
    linked, shop, receive_stock, warehouse, caplog
):
    shop.set_config(multi_row="refuse")
    integration, products, rows = linked(5, batch_writes="on")
    caplog.set_level(logging.WARNING, logger="integrations.sync")
    sync_all(integration)
    receive_stock(warehouse, {products[0]: 1, products[1]: 1})
    shop.reset_counters()

    drain.drain(integration.pk)

    assert shop_writes(shop) == 1 + 2
    assert [shop.quantity(rows[p.pk]) for p in products[:2]] == [2, 3]
    refusals = [r for r in caplog.records if "multi-row writes refused" in r.getMessage()]
    assert len(refusals) == 1


def test_a_batch_with_a_missing_row_and_an_invalid_value_breaks_exactly_those_two_links(
    linked, shop, monkeypatch, translation_en
):
    from integrations.prestashop import PrestaShopClient

    integration, products, rows = linked(10)
    missing, invalid = products[2], products[5]  # the 3rd and the 6th row of the body
    # A module stored a value the shop's own validation refuses on any write of the row.
    shop.store.update_row(shop.store.rows[rows[invalid.pk]], {"location": "X" * 300})
    read = PrestaShopClient.fetch_stock
    deleted = []

    def read_then_delete(client, product_ids):
        stock = read(client, product_ids)
        if not deleted:  # someone deletes it in the back office after the first read
            deleted.append(shop.delete_product(missing.shop_links.get().ps_product_id))
        return stock

    monkeypatch.setattr(PrestaShopClient, "fetch_stock", read_then_delete)

    result = sync_all(integration)

    # read; batch of 10 stops at the missing row (2 written); re-read; batch of the 7 rows
    # after it stops at the invalid one (2 more written); re-read; that row alone, refused;
    # the last 4 in one batch; the re-read that verifies.
    assert (shop_reads(shop), shop_writes(shop), result.requests) == (4, 4, 8)
    assert (result.changed, result.failed) == (8, 2)
    links = {link.product_id: link for link in ProductLink.objects.all()}
    broken = {pk for pk, link in links.items() if link.state == ProductLink.State.BROKEN}
    assert broken == {missing.pk, invalid.pk}
    assert links[missing.pk].last_error == "stock row not found in the shop"
    assert "code 85: Validation error" in links[invalid.pk].last_error
    assert "StockAvailable-&gt;location" in links[invalid.pk].last_error  # the shop's words
    for number, product in enumerate(products, start=1):
        if product.pk not in broken:
            assert shop.quantity(rows[product.pk]) == number
            assert (links[product.pk].state, links[product.pk].dirty) == ("ok", False)


def wait_for_answers(shop) -> None:
    """Let a hung request finish, so the simulator has counted it."""
    deadline = time.monotonic() + 5
    while shop.load.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("fault", "writes"),
    [
        # The shop wrote the rows, the answer came too late: the re-read finds them written.
        ({"kind": "hang", "variant": "after", "seconds": 1.0}, 1),
        # A 502 from the proxy: nothing was written, the 20 rows go again in halves of 10.
        ({"kind": "http_error", "status": 502}, 1 + 2),
    ],
    ids=["timeout", "502"],
)
def test_a_batch_that_times_out_or_fails_with_a_5xx_halves_the_size(
    linked, shop, settings, fault, writes
):
    settings.INVSYNC_SHOP_READ_TIMEOUT = 0.3
    settings.INVSYNC_WRITE_BATCH_SECONDS = NO_GROWTH
    integration, products, rows = linked(20)  # size 50
    shop.faults.add(**fault, count=1, methods={"PATCH"})

    result = sync_all(integration)
    wait_for_answers(shop)

    assert (result.changed, result.failed, result.batch_size) == (20, 0, 10)
    assert shop_writes(shop) == writes  # no row written twice
    assert shop_reads(shop) == 3  # the diff, the re-read after the failure, the verification
    assert shop_holds_the_ledger(shop, products, rows)
    integration.refresh_from_db()
    assert integration.batch_size == 10  # half of the 20 rows that failed


def test_repeated_failures_stop_the_pass_and_leave_the_rest_dirty(linked, shop, settings):
    from integrations.prestashop import ShopTemporaryError

    settings.INVSYNC_WRITE_BATCH_SECONDS = NO_GROWTH
    integration, _products, _rows = linked(20)
    shop.faults.add("http_error", status=503, methods={"PATCH"})

    result = sync_all(integration)

    assert isinstance(result.error, ShopTemporaryError)  # the task retries after it
    # 50 -> 10 -> 5 -> 2, then the fourth failure stops the pass; nothing was written.
    integration.refresh_from_db()
    assert integration.batch_size == 2
    assert shop_writes(shop) == 4
    assert ProductLink.objects.filter(dirty=True).count() == 20


ITEMS_17 = [
    {"reference": f"R{n}", "quantity": n, "location": f"A-{n:02d}", "out_of_stock": n % 3}
    for n in range(1, 7)
]


def test_prestashop_1_7_gets_full_rows_in_one_put(
    simulator_factory, make_integration, make_links, make_product, warehouse, receive_stock
):
    sim = simulator_factory(ps_version="1.7.8.11", items=ITEMS_17)
    integration = make_integration(sim)
    products = [make_product(item["reference"]) for item in ITEMS_17]
    make_links(integration, [(p, n) for n, p in enumerate(products, start=1)], dirty=True)
    receive_stock(warehouse, {p: 100 + n for n, p in enumerate(products, start=1)})
    before = {row["id"]: row for row in sim.stock_rows()}
    sim.reset_counters()

    result = drain.drain(integration.pk)

    writes = {k: n for k, n in sim.counters()["by_request"].items() if not k.startswith("GET")}
    assert writes == {"PUT stock_availables 200": 1}
    assert result.changed == 6
    for row in sim.stock_rows():
        assert row == {**before[row["id"]], "quantity": 100 + row["id_product"]}


def test_the_connection_test_probes_multi_row_writes_and_remembers_them(
    simulator_factory, make_integration
):
    sim = simulator_factory(products=5)
    integration = make_integration(sim)

    check = check_connection(integration)

    integration.refresh_from_db()
    assert check.ok
    assert integration.batch_support == Integration.BatchSupport.SUPPORTED
    assert (
        "Sklep przyjmuje wiele wierszy stanów w jednym zapytaniu (PATCH): teraz do 50 wierszy "
        "na zapytanie, z dostosowaniem do szybkości sklepu."
    ) in check.lines
    assert sim.counters()["stock_row_saves"] == 2  # two rows written back unchanged

    sim.set_config(multi_row="refuse")
    check = check_connection(integration)
    integration.refresh_from_db()
    assert integration.batch_support == Integration.BatchSupport.UNSUPPORTED
    assert any(
        line.endswith("Stany są zapisywane po jednym wierszu na zapytanie.") for line in check.lines
    )


def test_the_connection_test_does_not_write_when_multi_row_writes_are_off(
    simulator_factory, make_integration
):
    sim = simulator_factory(products=5)
    integration = make_integration(sim, batch_writes="off")

    check = check_connection(integration)

    assert check.ok
    assert shop_writes(sim) == 0
    assert (
        "Zapis wielu wierszy naraz jest wyłączony dla tej integracji: jeden wiersz na zapytanie."
    ) in check.lines


def test_chunks_follow_the_shops_product_order_and_cost_three_requests_at_10_percent(
    shop, make_integration, make_links, make_product, warehouse, receive_stock, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from tests.fixtures.integrations import add_shop_products

    settings.INVSYNC_WRITE_BATCH_SECONDS = NO_GROWTH
    integration = make_integration(shop, chunk_size=40)
    products = [make_product(f"C{n:04d}") for n in range(160)]
    added = add_shop_products(shop, [p.sku for p in products], quantity=1)
    # Linked in a shuffled order, as links made over months are.
    order = sorted(products, key=lambda p: (p.pk * 7919) % 160)
    make_links(integration, [(p, added[p.sku][0]) for p in order])
    receive_stock(warehouse, {p: 2 if n % 10 == 0 else 1 for n, p in enumerate(products)})
    ProductLink.objects.update(dirty=False, state=ProductLink.State.OK)
    shop.reset_counters()

    with django_capture_on_commit_callbacks(execute=False):
        run = runs.start_full_sync(integration, trigger=SyncRun.Trigger.COMMAND)
    for chunk in run.chunks.order_by("index"):
        ids = sorted(
            ProductLink.objects.filter(pk__in=chunk.link_ids).values_list(
                "ps_product_id", flat=True
            )
        )
        assert ids == list(range(ids[0], ids[0] + 40))  # a dense range: one read
        runs.sync_chunk(chunk.pk)

    run.refresh_from_db()
    chunks = list(run.chunks.order_by("index").values_list("requests", "batch_size", "changed"))
    assert chunks == [(3, 50, 4)] * 4  # a read, one write of 4 rows, the verifying re-read
    assert (run.status, run.changed, run.requests, run.batch_size) == ("done", 16, 12, 50)

    with django_capture_on_commit_callbacks(execute=False):
        again = runs.start_full_sync(integration, trigger=SyncRun.Trigger.COMMAND)
    for chunk_id in again.chunks.values_list("pk", flat=True):
        runs.sync_chunk(chunk_id)
    again.refresh_from_db()
    assert (again.changed, again.requests, again.batch_size) == (0, 4, None)  # one read each


def test_the_size_doubles_only_while_a_write_twice_as_big_fits_the_budget_and_halves_on_failure(
    make_integration,
):
    from integrations.engine.batching import BatchSizer

    integration = make_integration()
    sizer = BatchSizer(integration.pk, size=50, budget=10.0, stored=50)

    sizer.succeeded(50, 4.0)  # 100 rows at 0.08 s a row: 8 s
    assert sizer.size == 100
    sizer.succeeded(100, 6.0)  # 200 rows: 12 s, over the budget
    assert sizer.size == 100
    for _ in range(3):
        sizer.succeeded(10, 0.1)  # 0.01 s a row
    assert sizer.size == 500  # never above 500
    assert (sizer.take(510), sizer.take(620), sizer.take(30)) == (500, 500, 30)
    sizer.save()
    integration.refresh_from_db()
    assert integration.batch_size == 500

    sizer.failed(30)  # a timeout on 30 rows: half of them, whatever the size was
    integration.refresh_from_db()
    assert sizer.size == integration.batch_size == 15
    sizer.failed(3)
    assert sizer.size == 2  # the floor: two rows
