"""Live work never waits behind bulk work (issue 11), through real workers, Redis and the
simulator: a document reaches the shop while a full sync holds the bulk queue, a run keeps a
bounded number of messages in the broker, a cancelled run stops, and an integration whose
stop is cleared drains its waiting marks at once.

Order is proven by the simulator's counters (how many chunk reads had happened when the
document's quantity arrived), never by a clock.
"""

import pytest
import redis
from django.utils import timezone
from django_celery_results.models import TaskResult

from integrations import tasks
from integrations.engine import pacing, runs
from integrations.models import Integration, ProductLink, SyncLogEntry, SyncRun
from tests.fixtures.integrations import add_shop_products, shop_reads
from warehouse.models import Document, Product

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]

LIVE, BULK = "integrations_live", "integrations"
LIVE_ONLY, BOTH = (LIVE,), (LIVE, BULK)


def link_catalogue(shop, integration, count: int, *, quantity: int = 0) -> dict[int, int]:
    """`count` shop products holding `quantity`, each linked (clean) to a new ledger product
    with no stock; returns {link id: stock row id}. Bulk inserts: thousands in a second."""
    references = [f"BULK-{n:05d}" for n in range(count)]
    shop_rows = add_shop_products(shop, references, quantity=quantity)
    Product.objects.bulk_create(Product(sku=ref, name=ref) for ref in references)
    product_ids = dict(Product.objects.filter(sku__in=references).values_list("sku", "pk"))
    links = ProductLink.objects.bulk_create(
        ProductLink(
            integration=integration,
            product_id=product_ids[ref],
            ps_product_id=shop_rows[ref][0],
            dirty=False,
            state=ProductLink.State.OK,
        )
        for ref in references
    )
    return {link.pk: shop_rows[ref][1] for link, ref in zip(links, references, strict=True)}


def queue_length(redis_url: str, queue: str) -> int:
    """Messages waiting in a Redis queue (kombu keeps each queue as a list)."""
    return redis.Redis.from_url(redis_url).llen(queue)


def ended(run: SyncRun) -> bool:
    run.refresh_from_db()
    return not run.is_active


def test_a_wz_approved_during_a_full_sync_reaches_the_shop_before_the_sync_ends(
    start_celery_workers, shop, make_integration, make_product, link_shop, warehouse,
    receive_stock, make_document, settings,
):  # fmt: skip
    settings.INVSYNC_DRAIN_DELAY = 0  # this process sends the drain
    integration = make_integration(shop, chunk_size=50, requests_per_minute=300)
    product = make_product("WZ-PRODUCT")
    receive_stock(warehouse, {product: 5})  # before linking: no drain for it
    row = link_shop(shop, integration, [product], quantity=5)[product.pk]  # first chunk
    link_catalogue(shop, integration, 2000)
    run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)
    live, bulk = start_celery_workers(LIVE_ONLY, BOTH)
    bulk.wait_for(lambda: SyncRun.objects.get(pk=run.pk).chunks_done >= 2)

    make_document(Document.Kind.WZ, warehouse, [(product, 2)], approve=True)
    live.wait_for(lambda: shop.quantity(row) == 3, interval=0.02)
    reads_at_arrival = shop_reads(shop)
    bulk.wait_for(lambda: ended(run), timeout=180)

    assert (run.status, run.chunks_done, run.chunks_total) == ("done", 41, 41)
    # Every chunk reads its rows once; the drain reads its row and re-reads its write.
    assert shop_reads(shop) == run.chunks_total + 2
    # When the quantity arrived, at most the drain's first read and fewer than all the
    # chunks' reads had happened: the rest of the full sync came after the document.
    assert reads_at_arrival - 1 < run.chunks_total
    written = SyncLogEntry.objects.filter(link__product=product, outcome="written")
    assert list(written.values_list("run", "quantity_written")) == [(None, 3)]


def test_the_broker_never_holds_more_than_the_chunks_in_flight_of_a_run(
    start_celery_workers, redis_url, shop, make_integration, settings
):
    settings.INVSYNC_SYNC_CHUNKS_IN_FLIGHT = 3  # this process sends the first chunks
    integration = make_integration(shop, chunk_size=20, requests_per_minute=1200)
    link_catalogue(shop, integration, 400)
    run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.COMMAND)
    assert run.chunks_total == 20
    assert queue_length(redis_url, BULK) == 3  # no worker yet: the first three only
    assert tasks.send_chunks(run.pk) == 0  # the periodic top-up adds none while three are out
    assert (queue_length(redis_url, BULK), pacing.in_flight(run.pk)) == (3, 3)

    (worker,) = start_celery_workers(BOTH, env={"INVSYNC_SYNC_CHUNKS_IN_FLIGHT": "3"})
    lengths = []

    def sample_until_the_end() -> bool:
        lengths.append(queue_length(redis_url, BULK))
        return ended(run)

    worker.wait_for(sample_until_the_end, interval=0.01, timeout=120)

    assert (run.status, run.chunks_done, run.processed) == ("done", 20, 400)
    assert max(lengths) <= 3
    assert shop_reads(shop) == 20
    assert queue_length(redis_url, BULK) == 0


def test_cancelling_a_run_stops_it_and_leaves_each_link_as_its_writes_left_it(
    start_celery_workers, shop, make_integration, settings
):
    settings.INVSYNC_SYNC_CHUNKS_IN_FLIGHT = 2
    integration = make_integration(shop, chunk_size=4, requests_per_minute=300)
    rows = link_catalogue(shop, integration, 40, quantity=7)  # the ledger holds 0 everywhere
    run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)
    (worker,) = start_celery_workers(BOTH, env={"INVSYNC_SYNC_CHUNKS_IN_FLIGHT": "2"})
    worker.wait_for(lambda: SyncRun.objects.get(pk=run.pk).chunks_done >= 2)

    outcome = runs.cancel_run(run.pk)
    worker.wait_for(lambda: ended(run))

    chunks = dict(run.chunks.values_list("index", "status"))
    done = [index for index, status in chunks.items() if status == "done"]
    assert run.status == "cancelled"
    assert outcome.dropped >= 1
    # Chunks not started when it was cancelled never ran: only running ones could finish.
    assert len(done) <= run.chunks_total - outcome.dropped
    assert set(chunks.values()) <= {"done", "cancelled"}
    # What the run wrote stays recorded, and the shop holds exactly that.
    written = set(
        SyncLogEntry.objects.filter(run=run, outcome="written").values_list("link", flat=True)
    )
    assert len(written) == run.changed >= 4 * len(done)
    assert {pk: shop.quantity(row) for pk, row in rows.items()} == {
        pk: 0 if pk in written else 7 for pk in rows
    }
    links = ProductLink.objects.filter(integration=integration)
    assert not links.exclude(claimed_by="").exists()
    assert set(links.values_list("state", flat=True)) == {"ok"}
    assert set(links.filter(pk__in=written).values_list("last_pushed_quantity", flat=True)) == {0}
    assert not links.exclude(pk__in=written).exclude(last_pushed_quantity=None).exists()
    assert run.processed == sum(run.chunks.values_list("processed", flat=True))
    # The integration may sync again at once.
    assert tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN).pk != run.pk


def test_a_connection_test_that_clears_a_stop_drains_the_waiting_marks_at_once(
    start_celery_workers, shop, make_integration, make_product, link_shop, warehouse,
    receive_stock, settings,
):  # fmt: skip
    settings.INVSYNC_DRAIN_DELAY = 0
    integration = make_integration(shop)
    product = make_product()
    row = link_shop(shop, integration, [product])[product.pk]
    Integration.objects.filter(pk=integration.pk).update(
        halted_at=timezone.now(), last_error="HTTP 401"
    )
    (worker,) = start_celery_workers(LIVE_ONLY)
    drains = TaskResult.objects.filter(task_name="integrations.tasks.drain_task", status="SUCCESS")

    receive_stock(warehouse, {product: 6})
    worker.wait_for(lambda: drains.count() == 1)  # it found the integration stopped
    assert (shop.quantity(row), ProductLink.objects.get(product=product).dirty) == (0, True)

    check = tasks.check_connection(Integration.objects.get(pk=integration.pk))
    worker.wait_for(lambda: shop.quantity(row) == 6)

    assert (check.ok, check.resumed) == (True, True)
    # No beat runs here: the only other drain is the one the cleared stop sent (its result
    # is stored a moment after its write).
    worker.wait_for(lambda: drains.count() == 2)
    assert not ProductLink.objects.filter(product=product, dirty=True).exists()


def test_a_drain_retried_after_a_429_stays_on_the_live_queue(
    start_celery_workers, redis_url, shop, make_integration, make_product, link_shop, warehouse,
    receive_stock, settings,
):  # fmt: skip
    settings.INVSYNC_DRAIN_DELAY = 0
    integration = make_integration(shop)
    product = make_product()
    row = link_shop(shop, integration, [product])[product.pk]
    (worker,) = start_celery_workers(LIVE_ONLY)  # nothing consumes the bulk queue
    # One request per 2 s: the first attempt's read passes and its write gets a 429.
    shop.load.configure(rate_limit=1, rate_window=2.0)

    receive_stock(warehouse, {product: 6})
    worker.wait_for(lambda: shop.counters()["rate_limited"] >= 1)
    shop.load.configure(rate_limit=None)

    worker.wait_for(lambda: shop.quantity(row) == 6)  # only the live-only worker could write
    assert queue_length(redis_url, BULK) == 0
