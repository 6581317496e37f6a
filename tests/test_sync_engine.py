"""The sync engine against the simulator: drains, diff then write, modes, query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.engine import drain, outbox
from integrations.models import Integration, ProductLink, SyncLogEntry
from tests.fixtures.integrations import shop_writes
from warehouse import services
from warehouse.models import Document, StockLevel
from warehouse.selectors import ledger_mismatches

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(shop, make_integration, make_product, link_shop):
    """An integration with three products linked to shop rows holding 0."""
    integration = make_integration(shop)
    products = [make_product(f"P{n}") for n in range(1, 4)]
    rows = link_shop(shop, integration, products)
    return integration, products, rows


def link_of(product) -> ProductLink:
    return ProductLink.objects.get(product=product)


def test_an_approved_pz_reaches_the_shop_on_the_next_drain(three, shop, warehouse, receive_stock):
    integration, products, rows = three
    document = receive_stock(warehouse, {products[0]: 5})
    shop.reset_counters()

    result = drain.drain(integration.pk)

    assert shop.quantity(rows[products[0].pk]) == 5
    assert (result.changed, shop_writes(shop)) == (1, 1)
    link = link_of(products[0])
    assert (link.dirty, link.state, link.last_pushed_quantity) == (False, "ok", 5)
    assert link.ps_stock_id == rows[products[0].pk]
    entry = SyncLogEntry.objects.get()
    assert (entry.sku, entry.quantity_before, entry.quantity_written) == ("P1", 0, 5)
    assert entry.cause == document.number


def test_wz_inw_and_cancel_each_bring_the_shop_to_the_ledger(three, shop, warehouse, make_document):
    integration, products, rows = three
    product, row = products[0], rows[products[0].pk]
    seen = []
    for kind, quantity in [(Document.Kind.PZ, 10), (Document.Kind.WZ, 3), (Document.Kind.INW, 4)]:
        document = make_document(kind, warehouse, [(product, quantity)], approve=True)
        drain.drain(integration.pk)
        seen.append(shop.quantity(row))
    services.cancel(document, user=None)
    drain.drain(integration.pk)
    seen.append(shop.quantity(row))
    # 10 received, 3 issued, counted 4, and back to 7 when the count is cancelled.
    assert seen == [10, 7, 4, 7]


def test_a_second_drain_writes_nothing(three, shop, warehouse, receive_stock):
    integration, products, _rows = three
    receive_stock(warehouse, {products[0]: 5})
    drain.drain(integration.pk)
    shop.reset_counters()
    assert drain.drain(integration.pk).processed == 0
    # Even a forced re-check of every link writes nothing: the shop already matches.
    result = drain.sync_links(integration, integration.links.values_list("pk", flat=True))
    assert (result.processed, result.changed, shop_writes(shop)) == (3, 0, 0)


def test_a_newer_change_during_a_sync_keeps_the_mark_and_the_next_drain_writes_it(
    three, shop, warehouse, receive_stock
):
    integration, products, rows = three
    receive_stock(warehouse, {products[0]: 5})
    claimed = outbox.claim(integration, limit=10, token="slow-task")
    receive_stock(warehouse, {products[0]: 2})  # committed while the task is in flight

    result = drain.sync_claimed(integration, claimed, run=None, token="slow-task")

    assert result.moved == 1
    assert link_of(products[0]).dirty is True
    drain.drain(integration.pk)
    assert shop.quantity(rows[products[0].pk]) == 7
    assert link_of(products[0]).dirty is False


def test_a_task_repeated_after_a_newer_change_writes_the_current_quantity(
    three, shop, warehouse, receive_stock
):
    integration, products, rows = three
    receive_stock(warehouse, {products[0]: 5})
    link_ids = [link_of(products[0]).pk]
    drain.sync_links(integration, link_ids)
    receive_stock(warehouse, {products[0]: 1})
    drain.drain(integration.pk)
    drain.sync_links(integration, link_ids)  # the first task, redelivered late
    assert shop.quantity(rows[products[0].pk]) == 6


def test_only_the_integrations_warehouses_feed_its_shop(
    shop, make_integration, make_product, link_shop, make_warehouse, receive_stock
):
    main, other = make_warehouse("A"), make_warehouse("B")
    integration = make_integration(shop, warehouses=[main])
    product = make_product()
    rows = link_shop(shop, integration, [product], dirty=True)
    receive_stock(main, {product: 4})
    receive_stock(other, {product: 100})
    drain.drain(integration.pk)
    assert shop.quantity(rows[product.pk]) == 4


def test_a_product_missing_in_the_shop_breaks_its_link_instead_of_writing_zero(
    three, shop, warehouse, receive_stock, translation_en
):
    integration, products, rows = three
    receive_stock(warehouse, {products[0]: 5, products[1]: 2})
    shop.store.delete_product(link_of(products[0]).ps_product_id)

    result = drain.drain(integration.pk)

    broken = link_of(products[0])
    assert (broken.state, broken.dirty) == (ProductLink.State.BROKEN, True)
    assert broken.last_error == "product not found in the shop"
    assert (result.changed, result.failed) == (1, 1)
    assert shop.quantity(rows[products[1].pk]) == 2
    # Broken links are left out of drains: no retry storm.
    assert drain.drain(integration.pk).processed == 0
    entry = SyncLogEntry.objects.get(outcome=SyncLogEntry.Outcome.FAILED)
    assert entry.message == "product not found in the shop"


def test_disabled_mode_sends_nothing_and_enabling_catches_up(three, shop, warehouse, receive_stock):
    integration, products, rows = three
    Integration.objects.filter(pk=integration.pk).update(mode=Integration.Mode.DISABLED)
    receive_stock(warehouse, {products[0]: 5})
    shop.reset_counters()
    assert drain.drain(integration.pk).processed == 0
    assert shop_writes(shop) == 0
    assert link_of(products[0]).dirty is True
    Integration.objects.filter(pk=integration.pk).update(mode=Integration.Mode.LOCAL_TO_PRESTA)
    drain.drain(integration.pk)
    assert shop.quantity(rows[products[0].pk]) == 5


def test_shop_to_ledger_books_the_shops_quantities_as_an_inw_without_echo(
    shop, make_integration, make_product, link_shop, warehouse, receive_stock
):
    integration = make_integration(shop, mode=Integration.Mode.PRESTASHOP_TO_LOCAL)
    products = [make_product() for _ in range(3)]
    rows = link_shop(shop, integration, products, quantity=0)
    receive_stock(warehouse, {products[0]: 5, products[1]: 2})
    shop.set_quantity(rows[products[0].pk], 8)  # sold less than the ledger thinks... or more
    shop.set_quantity(rows[products[1].pk], 2)
    shop.set_quantity(rows[products[2].pk], 1)
    shop.reset_counters()

    result = drain.sync_links(integration, integration.links.values_list("pk", flat=True))

    document = Document.objects.get(origin=Document.Origin.SHOP)
    assert (document.kind, document.status) == (Document.Kind.INW, Document.Status.APPROVED)
    levels = dict(StockLevel.objects.values_list("product_id", "quantity"))
    assert [levels.get(p.pk, 0) for p in products] == [8, 2, 1]
    assert ledger_mismatches() == []
    assert (result.changed, shop_writes(shop)) == (2, 0)
    assert not ProductLink.objects.filter(integration=integration, dirty=True).exists()
    entries = SyncLogEntry.objects.filter(outcome=SyncLogEntry.Outcome.BOOKED)
    assert sorted(entries.values_list("cause", flat=True)) == [document.number] * 2


def test_shop_to_ledger_books_into_one_warehouse_so_totals_match(
    shop, make_integration, make_product, link_shop, make_warehouse, receive_stock
):
    first, second = make_warehouse("A"), make_warehouse("B")
    integration = make_integration(
        shop, mode=Integration.Mode.PRESTASHOP_TO_LOCAL, warehouses=[first, second]
    )
    product = make_product()
    rows = link_shop(shop, integration, [product])
    receive_stock(first, {product: 3})
    receive_stock(second, {product: 4})
    shop.set_quantity(rows[product.pk], 5)
    drain.sync_links(integration, integration.links.values_list("pk", flat=True))
    levels = dict(StockLevel.objects.values_list("warehouse__code", "quantity"))
    assert levels == {"A": 1, "B": 4}


@pytest.mark.postgres_only
@pytest.mark.parametrize("size", [10, 200])
def test_queries_per_chunk_do_not_grow_with_its_size(
    size, shop, make_integration, make_product, link_shop, warehouse, receive_stock,
    django_assert_max_num_queries,
):  # fmt: skip
    integration = make_integration(shop)
    products = [make_product() for _ in range(size)]
    link_shop(shop, integration, products, quantity=1)
    receive_stock(warehouse, dict.fromkeys(products[::2], 2))  # the shop holds 1 everywhere
    link_ids = list(integration.links.values_list("pk", flat=True))
    # 10, plus two the first multi-row write adds: what it learned and the grown size.
    with django_assert_max_num_queries(12):
        result = drain.sync_links(integration, link_ids)
    assert result.changed == size  # every row differs: 2 or 0 wanted


def test_a_recheck_of_links_in_sync_rewrites_none_of_their_remembered_values(
    three, shop, warehouse, receive_stock
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    integration, products, rows = three
    receive_stock(warehouse, {products[0]: 5})
    link_ids = list(integration.links.values_list("pk", flat=True))
    drain.sync_links(integration, link_ids)  # learns every row id and quantity
    shop.set_quantity(rows[products[1].pk], 0)  # unchanged: the shop already holds 0

    with CaptureQueriesContext(connection) as queries:
        result = drain.sync_links(integration, link_ids)

    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    remembered = [sql for sql in updates if "last_shop_quantity" in sql]
    assert (result.processed, result.changed, remembered) == (3, 0, [])
    values = list(integration.links.order_by("pk").values_list("ps_stock_id", "last_shop_quantity"))
    assert values == [(rows[p.pk], q) for p, q in zip(products, [5, 0, 0], strict=True)]


def test_values_seen_in_the_shop_are_remembered_only_where_they_changed(
    three, shop, warehouse, receive_stock
):
    integration, products, rows = three
    receive_stock(warehouse, {products[0]: 5, products[1]: 2})
    link_ids = list(integration.links.values_list("pk", flat=True))
    drain.sync_links(integration, link_ids)
    first = link_of(products[0]).last_pushed_at
    shop.set_quantity(rows[products[1].pk], 9)  # drift on one row only

    drain.sync_links(integration, link_ids)

    links = list(integration.links.order_by("pk"))
    assert [(link.last_shop_quantity, link.last_pushed_quantity) for link in links] == [
        (5, 5), (2, 2), (0, None),
    ]  # fmt: skip
    assert links[0].last_pushed_at == first  # not written again
    assert links[1].last_pushed_at > first


def test_a_pass_told_to_stop_writes_no_more_and_leaves_the_rest_as_they_were(
    three, shop, warehouse, receive_stock
):
    integration, products, rows = three
    # One row per request: the stop is asked before each of them.
    Integration.objects.filter(pk=integration.pk).update(batch_writes=Integration.BatchWrites.OFF)
    integration.refresh_from_db()
    receive_stock(warehouse, dict.fromkeys(products, 4))
    asked = []

    def stop_after_the_first_write() -> bool:
        asked.append(True)
        return len(asked) > 1

    link_ids = [link_of(p).pk for p in products]
    result = drain.sync_links(integration, link_ids, stop=stop_after_the_first_write)

    assert (result.changed, result.processed, result.stopped) == (1, 1, 2)
    assert [shop.quantity(rows[p.pk]) for p in products] == [4, 0, 0]
    assert [(link_of(p).dirty, link_of(p).claimed_by) for p in products] == [
        (False, ""),
        (True, ""),
        (True, ""),
    ]


def test_a_pass_writing_several_rows_per_request_asks_to_stop_before_each_batch(
    three, shop, warehouse, receive_stock
):
    integration, products, rows = three
    receive_stock(warehouse, dict.fromkeys(products, 4))
    shop.reset_counters()

    link_ids = [link_of(p).pk for p in products]
    result = drain.sync_links(integration, link_ids, stop=lambda: True)

    assert (result.changed, result.processed, result.stopped) == (0, 0, 3)
    assert (shop_writes(shop), [shop.quantity(rows[p.pk]) for p in products]) == (0, [0, 0, 0])
    assert all(link_of(p).dirty for p in products)


def test_a_pass_lets_go_of_the_links_in_sync_before_it_writes_the_others(
    three, shop, warehouse, receive_stock
):
    integration, products, _rows = three
    receive_stock(warehouse, {products[0]: 4})  # only the first differs from the shop
    holders = {}

    def look_before_the_write() -> bool:
        holders.update(integration.links.values_list("product_id", "claimed_by"))
        return False

    link_ids = [link_of(p).pk for p in products]
    result = drain.sync_links(integration, link_ids, token="chunk-1", stop=look_before_the_write)

    assert holders == {products[0].pk: "chunk-1", products[1].pk: "", products[2].pk: ""}
    assert (result.changed, result.moved) == (1, 0)
    assert not integration.links.filter(dirty=True).exists()


def test_a_drain_reports_due_links_another_task_holds_so_one_comes_back(
    three, shop, warehouse, receive_stock
):
    integration, products, rows = three
    receive_stock(warehouse, {products[0]: 4})
    outbox.claim(integration, limit=1, token="chunk-1", link_ids=[link_of(products[0]).pk])

    result = drain.drain(integration.pk)

    assert (result.changed, result.held, shop.quantity(rows[products[0].pk])) == (0, 1, 0)
    assert link_of(products[0]).dirty


def test_a_drain_finding_another_running_leaves_the_marks_to_it(
    three, shop, warehouse, receive_stock
):
    integration, products, rows = three
    receive_stock(warehouse, {products[0]: 4})
    assert drain.take_turn(integration.pk, "running-drain")
    shop.reset_counters()

    deferred = drain.drain(integration.pk)

    assert (deferred.deferred, deferred.processed, shop.counters()["total"]) == (1, 0, 0)
    assert link_of(products[0]).dirty
    drain.end_turn(integration.pk, "running-drain")
    done = drain.drain(integration.pk)
    assert (done.deferred, done.changed, shop.quantity(rows[products[0].pk])) == (0, 1, 4)
    assert Integration.objects.filter(pk=integration.pk, drain_token="").exists()


def test_the_turn_of_a_drain_that_is_gone_holds_only_a_few_seconds(
    three, shop, warehouse, receive_stock
):
    integration, products, rows = three
    receive_stock(warehouse, {products[0]: 4})
    drain.take_turn(integration.pk, "killed-drain")
    Integration.objects.filter(pk=integration.pk).update(
        drain_turn_until=timezone.now() - timedelta(milliseconds=1)
    )

    assert drain.drain(integration.pk).changed == 1
    assert shop.quantity(rows[products[0].pk]) == 4


def test_a_full_sync_leaves_to_the_drain_a_link_a_document_moved_after_its_read(
    three, shop, warehouse, receive_stock, django_capture_on_commit_callbacks
):
    from integrations.engine import runs

    integration, products, rows = three
    receive_stock(warehouse, dict.fromkeys(products, 4))  # the shop holds 0 everywhere
    with django_capture_on_commit_callbacks(execute=False):
        run = runs.start_full_sync(integration, trigger="command")
    booked = []

    def book_before_the_first_write() -> bool:
        if not booked:
            booked.append(receive_stock(warehouse, {products[0]: 1}))
        return False

    link_ids = [link_of(p).pk for p in products]
    result = drain.sync_links(integration, link_ids, run=run, stop=book_before_the_first_write)

    # The planned 4 would be stale: the drain that document sent writes 5 instead.
    assert [shop.quantity(rows[p.pk]) for p in products] == [0, 4, 4]
    assert (result.changed, result.held) == (2, 1)
    assert (link_of(products[0]).dirty, link_of(products[0]).claimed_by) == (True, "")
    drain.drain(integration.pk)
    assert shop.quantity(rows[products[0].pk]) == 5
