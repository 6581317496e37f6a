"""What each kind of shop failure leaves behind: link states, the integration, the shop."""

import pytest
from django.utils import timezone

from integrations import tasks
from integrations.engine import drain, runs
from integrations.models import Integration, ProductLink, SyncChunk, SyncLogEntry, SyncRun
from integrations.prestashop import (
    RateLimited,
    ShopConfigError,
    ShopTemporaryError,
    UnexpectedResponse,
)
from tests.fixtures.integrations import add_shop_products, shop_writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def dirty_pair(shop, make_integration, make_product, link_shop, warehouse, receive_stock):
    """Two linked products received into the ledger (5 and 3), not yet synced."""
    integration = make_integration(shop)
    products = [make_product("F1"), make_product("F2")]
    rows = link_shop(shop, integration, products)
    receive_stock(warehouse, {products[0]: 5, products[1]: 3})
    shop.reset_counters()
    return integration, products, rows


def links_of(integration) -> list[ProductLink]:
    return list(integration.links.order_by("pk"))


def test_a_429_with_retry_after_leaves_the_links_dirty_for_the_retry(dirty_pair, shop):
    integration, _products, rows = dirty_pair
    shop.load.configure(rate_limit=1, rate_window=60)  # the read passes, the write does not

    with pytest.raises(RateLimited) as raised:
        drain.drain(integration.pk)

    assert 1 <= raised.value.retry_after <= 60
    assert shop.counters()["rate_limited"] == 1
    # Being rate limited is not the links' fault: no failure, no backoff, no claim kept.
    states = [
        (link.dirty, link.state, link.failed_attempts, link.claimed_by)
        for link in links_of(integration)
    ]
    assert states == [(True, ProductLink.State.DIRTY, 0, "")] * 2
    assert sorted(shop.quantity(row) for row in rows.values()) == [0, 0]


def test_a_429_without_retry_after_says_so(dirty_pair, shop):
    integration, _products, _rows = dirty_pair
    shop.load.configure(rate_limit=1, rate_window=60, retry_after=False)
    with pytest.raises(RateLimited) as raised:
        drain.drain(integration.pk)
    assert raised.value.retry_after is None


def test_a_maintenance_page_backs_the_links_off_and_a_later_pass_repairs_them(dirty_pair, shop):
    integration, products, rows = dirty_pair
    shop.faults.add("maintenance")

    with pytest.raises(ShopTemporaryError):
        drain.drain(integration.pk)

    for link in links_of(integration):
        assert (link.dirty, link.state, link.failed_attempts) == (True, "failing", 1)
        assert link.next_attempt_at > timezone.now()
        assert link.last_error
    assert drain.drain(integration.pk).processed == 0  # backing off: not hammered again
    shop.faults.clear()
    drain.sync_links(integration, [link.pk for link in links_of(integration)])
    assert [shop.quantity(rows[p.pk]) for p in products] == [5, 3]
    assert [link.state for link in links_of(integration)] == ["ok", "ok"]


def test_a_timeout_is_a_temporary_failure(dirty_pair, shop, settings):
    integration, _products, _rows = dirty_pair
    settings.INVSYNC_SHOP_READ_TIMEOUT = 0.3
    shop.faults.add("hang", seconds=1.5, count=1)
    with pytest.raises(ShopTemporaryError):
        drain.drain(integration.pk)
    assert [link.state for link in links_of(integration)] == ["failing", "failing"]
    assert shop_writes(shop) == 0


def test_a_wrong_key_stops_the_integration_with_the_reason_and_no_retry_storm(
    shop, make_integration, make_product, link_shop, warehouse, receive_stock
):
    integration = make_integration(shop, api_key="0" * 32)
    product = make_product()
    link_shop(shop, integration, [product])
    receive_stock(warehouse, {product: 5})

    with pytest.raises(ShopConfigError):
        drain.drain(integration.pk)

    integration.refresh_from_db()
    assert integration.halted_at is not None
    assert integration.last_error.startswith("Sklep odrzucił klucz API: ")
    link = ProductLink.objects.get(product=product)
    assert (link.dirty, link.failed_attempts) == (True, 0)
    shop.reset_counters()
    assert drain.drain(integration.pk).processed == 0
    with pytest.raises(runs.SyncRefused):
        tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)
    assert shop.counters()["total"] == 0


def test_a_chunk_of_a_stopped_integration_fails_without_a_request(
    shop, make_integration, make_product, link_shop, django_capture_on_commit_callbacks
):
    integration = make_integration(shop, api_key="0" * 32)
    link_shop(shop, integration, [make_product() for _ in range(4)])
    Integration.objects.filter(pk=integration.pk).update(chunk_size=2)
    integration.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)
    first, second = run.chunks.order_by("index")
    assert isinstance(runs.sync_chunk(first.pk).error, ShopConfigError)
    runs.fail_chunk(first.pk, "401")  # what the task does when it gives up
    shop.reset_counters()
    runs.sync_chunk(second.pk)
    assert shop.counters()["total"] == 0
    run.refresh_from_db()
    assert (run.status, run.chunks_done) == (SyncRun.Status.FAILED, 2)
    assert SyncChunk.objects.get(pk=second.pk).status == SyncChunk.Status.FAILED


def test_a_shop_that_ignores_the_filter_writes_nothing(dirty_pair, shop):
    integration, _products, _rows = dirty_pair
    add_shop_products(shop, ["OTHER-1", "OTHER-2"])  # rows nobody asked for
    shop.faults.add("ignore_filter")
    with pytest.raises(UnexpectedResponse):
        drain.drain(integration.pk)
    assert shop_writes(shop) == 0
    assert [link.state for link in links_of(integration)] == ["failing", "failing"]


@pytest.mark.parametrize(
    ("batch_writes", "failing_links"), [("off", 1), ("auto", 2)], ids=["single", "multi-row"]
)
def test_a_write_accepted_but_not_applied_leaves_the_link_failing(
    dirty_pair, shop, translation_en, batch_writes, failing_links
):
    integration, products, rows = dirty_pair
    Integration.objects.filter(pk=integration.pk).update(batch_writes=batch_writes)
    # One request is accepted but not applied: one row alone, or both rows in one request.
    shop.faults.add("not_applied", count=1, methods={"PUT", "PATCH"})

    result = drain.drain(integration.pk)

    links = links_of(integration)
    assert (result.changed, result.failed) == (2 - failing_links, failing_links)
    failing = [link for link in links if link.state == ProductLink.State.FAILING]
    assert len(failing) == failing_links
    assert all(link.dirty for link in failing)
    assert all(link.last_error.startswith("accepted but not applied") for link in failing)
    entries = SyncLogEntry.objects.filter(outcome=SyncLogEntry.Outcome.NOT_APPLIED)
    assert sorted(entries.values_list("link_id", flat=True)) == [link.pk for link in failing]
    # The next pass (once its backoff is over) writes it for real.
    ProductLink.objects.filter(pk__in=[link.pk for link in failing]).update(next_attempt_at=None)
    drain.drain(integration.pk)
    assert [shop.quantity(rows[p.pk]) for p in products] == [5, 3]


def test_a_full_sync_rechecks_a_broken_link_after_it_is_relinked(dirty_pair, shop):
    integration, _products, _rows = dirty_pair
    shop.delete_product(links_of(integration)[0].ps_product_id)
    drain.drain(integration.pk)
    assert links_of(integration)[0].state == ProductLink.State.BROKEN

    new_id, new_row = add_shop_products(shop, ["F1-NEW"])["F1-NEW"]
    ProductLink.objects.filter(pk=links_of(integration)[0].pk).update(ps_product_id=new_id)
    drain.sync_links(integration, [link.pk for link in links_of(integration)])

    assert links_of(integration)[0].state == ProductLink.State.OK
    assert shop.quantity(new_row) == 5


def test_a_row_deleted_between_the_read_and_the_write_breaks_its_link_and_the_rest_is_written(
    dirty_pair, shop, monkeypatch, translation_en
):
    from integrations.prestashop import PrestaShopClient

    integration, products, rows = dirty_pair
    gone = links_of(integration)[0]  # written first: the second write must still happen
    read = PrestaShopClient.fetch_stock

    def read_then_delete(client, product_ids):
        stock = read(client, product_ids)
        shop.delete_product(gone.ps_product_id)  # someone deletes it in the back office now
        return stock

    monkeypatch.setattr(PrestaShopClient, "fetch_stock", read_then_delete)

    result = drain.drain(integration.pk)

    assert (result.processed, result.changed, result.failed) == (2, 1, 1)
    broken, written = links_of(integration)
    assert (broken.state, broken.dirty, broken.last_error) == (
        ProductLink.State.BROKEN, True, "stock row not found in the shop",
    )  # fmt: skip
    assert (written.state, written.dirty) == (ProductLink.State.OK, False)
    assert shop.quantity(rows[products[1].pk]) == 3
    assert shop_writes(shop) == 2  # the failed PATCH and the one that landed
    entry = SyncLogEntry.objects.get(outcome=SyncLogEntry.Outcome.FAILED)
    assert (entry.link_id, entry.sku, entry.message) == (
        broken.pk, "F1", "stock row not found in the shop",
    )  # fmt: skip


def test_failures_with_different_reasons_and_attempts_are_each_recorded_in_one_update(
    db, make_integration, make_product, make_links, django_assert_num_queries
):
    from integrations.engine import failures

    integration = make_integration()
    links = make_links(integration, [(make_product(), n) for n in range(1, 5)], dirty=True)
    ProductLink.objects.filter(pk=links[0].pk).update(failed_attempts=3)
    links = list(integration.links.order_by("pk"))
    reasons = {links[0].pk: "503", links[1].pk: "503", links[2].pk: "timeout"}
    now = timezone.now()

    with django_assert_num_queries(1):
        failures.mark_failures(links, reasons, state=ProductLink.State.FAILING, now=now)

    stored = list(integration.links.order_by("pk"))
    assert [(link.state, link.failed_attempts, link.last_error) for link in stored] == [
        ("failing", 4, "503"), ("failing", 1, "503"), ("failing", 1, "timeout"), ("dirty", 0, ""),
    ]  # fmt: skip
    waits = [(link.next_attempt_at - now).total_seconds() for link in stored[:3]]
    # 30 s doubled per earlier attempt, ±20 % jitter; links failing together retry together.
    assert 0.8 * 240 <= waits[0] <= 1.2 * 240
    assert 0.8 * 30 <= waits[1] == waits[2] <= 1.2 * 30
    assert stored[3].next_attempt_at is None
    # The links in memory say what was stored.
    assert [link.next_attempt_at for link in links] == [link.next_attempt_at for link in stored]
