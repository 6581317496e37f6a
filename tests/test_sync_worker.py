"""Through a real Celery worker process, a real Redis broker and the simulator over HTTP."""

import pytest
from django_celery_results.models import TaskResult

from integrations import tasks
from integrations.models import Integration, ProductLink, SyncRun
from tests.fixtures.integrations import CLOSED_BROKER_URL, broker_pointed_at, shop_writes
from warehouse import services
from warehouse.models import Document
from warehouse.selectors import stock_totals

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def linked(shop, make_integration, make_product, link_shop):
    """An integration with two products linked to shop rows holding 0."""
    integration = make_integration(shop)
    products = [make_product(f"W{n}") for n in range(1, 3)]
    rows = link_shop(shop, integration, products)
    return integration, products, rows


def shop_matches_ledger(shop, product, row) -> bool:
    return shop.quantity(row) == stock_totals([product.pk]).get(product.pk, 0)


def test_approvals_and_a_cancellation_reach_the_shop_with_no_manual_step(
    celery_worker_process, linked, shop, warehouse, make_document
):
    _integration, (product, _other), rows = linked
    row = rows[product.pk]
    seen = []
    make_document(Document.Kind.PZ, warehouse, [(product, 10)], approve=True)
    celery_worker_process.wait_for(lambda: shop.quantity(row) == 10)
    seen.append(shop.quantity(row))
    wz = make_document(Document.Kind.WZ, warehouse, [(product, 4)], approve=True)
    celery_worker_process.wait_for(lambda: shop.quantity(row) == 6)
    seen.append(shop.quantity(row))
    make_document(Document.Kind.INW, warehouse, [(product, 9)], approve=True)
    celery_worker_process.wait_for(lambda: shop.quantity(row) == 9)
    seen.append(shop.quantity(row))
    services.cancel(wz, user=None)  # gives the 4 back: 13
    celery_worker_process.wait_for(lambda: shop.quantity(row) == 13)
    seen.append(shop.quantity(row))
    assert seen == [10, 6, 9, 13]
    assert shop_matches_ledger(shop, product, row)


def test_fifty_quick_approvals_end_right_with_far_fewer_writes(
    celery_worker_process, linked, shop, warehouse, receive_stock, settings
):
    _integration, (product, _other), rows = linked
    # This process sends the drains: one per 5 s at most, so only a burst slower than 45 s
    # (a second per approval) could send more than 10.
    settings.INVSYNC_DRAIN_DELAY = 5.0
    shop.reset_counters()
    for _ in range(50):
        receive_stock(warehouse, {product: 1})
    celery_worker_process.wait_for(lambda: shop.quantity(rows[product.pk]) == 50)
    celery_worker_process.wait_for(
        lambda: not ProductLink.objects.filter(product=product, dirty=True).exists()
    )
    assert shop.quantity(rows[product.pk]) == 50
    # A drain writes a row at most once, whenever it runs; every drain that ran has a result.
    drains = TaskResult.objects.filter(task_name="integrations.tasks.drain_task").count()
    assert shop_writes(shop) <= drains <= 10


def test_an_approval_while_the_broker_is_down_is_synced_by_the_periodic_drain(
    celery_worker_process, linked, shop, warehouse, receive_stock
):
    from integrations.tasks import drain_all_task

    _integration, (product, _other), rows = linked
    with broker_pointed_at(celery_worker_process.app, CLOSED_BROKER_URL):
        document = receive_stock(warehouse, {product: 7})
    assert Document.objects.get(pk=document.pk).status == Document.Status.APPROVED
    assert ProductLink.objects.get(product=product).dirty is True
    assert shop.quantity(rows[product.pk]) == 0

    drain_all_task.delay()

    celery_worker_process.wait_for(lambda: shop.quantity(rows[product.pk]) == 7)
    celery_worker_process.wait_for(
        lambda: not ProductLink.objects.filter(product=product, dirty=True).exists()
    )


def test_a_full_sync_runs_its_chunks_on_the_worker_and_finishes(
    celery_worker_process, shop, make_integration, make_product, link_shop, warehouse,
    receive_stock,
):  # fmt: skip
    integration = make_integration(shop, chunk_size=5)
    products = [make_product() for _ in range(12)]
    rows = link_shop(shop, integration, products, quantity=3)
    receive_stock(warehouse, dict.fromkeys(products[:9], 3))  # the last 3 drift: ledger 0, shop 3
    celery_worker_process.wait_for(
        lambda: not ProductLink.objects.filter(integration=integration, dirty=True).exists()
    )
    shop.reset_counters()

    run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)

    def finished():
        run.refresh_from_db()
        return not run.is_active

    celery_worker_process.wait_for(finished, timeout=60)
    assert (run.status, run.chunks_done, run.processed, run.changed) == ("done", 3, 12, 3)
    assert [shop.quantity(rows[p.pk]) for p in products[9:]] == [0, 0, 0]
    assert shop_writes(shop) == 2  # one row in the second chunk, two in one write in the third
    # The run is finished inside the last chunk's task, a moment before its result is stored.
    chunk_results = TaskResult.objects.filter(task_name="integrations.tasks.sync_chunk_task")
    celery_worker_process.wait_for(lambda: chunk_results.filter(status="SUCCESS").count() == 3)
    assert chunk_results.count() == 3


def drain_results(status: str):
    return TaskResult.objects.filter(task_name="integrations.tasks.drain_task", status=status)


def test_a_429_is_retried_after_retry_after_and_the_write_then_lands(
    celery_worker_process, linked, shop, warehouse, receive_stock
):
    _integration, (product, _other), rows = linked
    # One request per 3 s: the first attempt's read passes and its write gets a 429, whenever
    # the drain runs (the write follows the read within milliseconds).
    shop.load.configure(rate_limit=1, rate_window=3.0)

    receive_stock(warehouse, {product: 6})

    celery_worker_process.wait_for(lambda: shop.counters()["rate_limited"] >= 1, timeout=60)
    assert shop.quantity(rows[product.pk]) == 0
    shop.load.configure(rate_limit=None)  # the shop's budget is back for the retry

    celery_worker_process.wait_for(lambda: drain_results("SUCCESS").exists(), timeout=60)
    assert shop.quantity(rows[product.pk]) == 6
    assert ProductLink.objects.get(product=product).dirty is False


def test_a_429_that_persists_fails_the_task_after_three_retries_and_is_recorded(
    celery_worker_process, linked, shop, warehouse, receive_stock
):
    from integrations.tasks import drain_all_task

    _integration, (product, _other), rows = linked
    # One request per 2 s: every attempt's read passes and its write gets 429, Retry-After 2.
    shop.load.configure(rate_limit=1, rate_window=2.0)

    receive_stock(warehouse, {product: 6})

    failed = celery_worker_process.wait_for(lambda: drain_results("FAILURE").first(), timeout=90)
    assert "RateLimited" in failed.result
    assert shop.counters()["rate_limited"] == 4  # the first try and three retries
    link = ProductLink.objects.get(product=product)
    assert (link.dirty, link.state, shop.quantity(rows[product.pk])) == (True, "dirty", 0)

    shop.load.configure(rate_limit=None)  # the shop calms down: the periodic drain repairs
    drain_all_task.delay()
    celery_worker_process.wait_for(lambda: shop.quantity(rows[product.pk]) == 6, timeout=60)


def test_a_full_sync_started_while_the_broker_is_down_is_sent_by_the_periodic_drain(
    celery_worker_process, shop, make_integration, make_product, link_shop
):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.tasks import drain_all_task

    integration = make_integration(shop, chunk_size=2)
    products = [make_product() for _ in range(4)]
    rows = link_shop(shop, integration, products, quantity=5)  # the ledger has 0 of each
    with broker_pointed_at(celery_worker_process.app, CLOSED_BROKER_URL):
        run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)
    assert list(run.chunks.values_list("task_id", flat=True)) == ["", ""]
    SyncRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=2))

    drain_all_task.delay()

    def finished():
        run.refresh_from_db()
        return not run.is_active

    celery_worker_process.wait_for(finished, timeout=60)
    assert (run.status, run.changed) == (SyncRun.Status.DONE, 4)
    assert [shop.quantity(rows[p.pk]) for p in products] == [0, 0, 0, 0]


def test_a_drain_lost_with_its_worker_process_is_redelivered_and_finishes(
    celery_worker_process, linked, shop, warehouse, receive_stock
):
    _integration, (product, _other), rows = linked
    shop.load.configure(read_latency=3.0)  # keeps the drain busy in its read
    receive_stock(warehouse, {product: 8})
    celery_worker_process.wait_for(lambda: shop.counters()["in_flight"] >= 1)
    claimed_by = ProductLink.objects.get(product=product).claimed_by
    assert claimed_by  # the drain holds the link

    celery_worker_process.kill_pool()
    shop.load.configure(read_latency=0.0)

    # acks_late + reject_on_worker_lost: the same task comes back and takes its claim back.
    celery_worker_process.wait_for(
        lambda: not ProductLink.objects.filter(product=product, dirty=True).exists(), timeout=60
    )
    assert shop.quantity(rows[product.pk]) == 8
    # Its result is stored a moment after the link is cleared.
    celery_worker_process.wait_for(
        lambda: TaskResult.objects.filter(task_id=claimed_by, status="SUCCESS").exists()
    )


@pytest.fixture
def burst_of_ten(monkeypatch):
    """Worker processes started after this let 10 requests start at once (the limiter paces
    evenly by default), so a budget of 10 a minute shows within seconds."""
    monkeypatch.setenv("INVSYNC_RATELIMIT_BURST", "10")


def test_two_worker_processes_share_the_integrations_request_budget(
    burst_of_ten, celery_worker_process, shop, make_integration, make_product, link_shop
):
    import time

    integration = make_integration(
        shop, chunk_size=1, requests_per_minute=10, max_concurrent_requests=2
    )
    products = [make_product() for _ in range(12)]
    link_shop(shop, integration, products, quantity=1)  # every row differs: 3 requests each
    shop.load.configure(rate_limit=10, rate_window=60.0)  # the shop would answer 429 beyond

    tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)

    celery_worker_process.wait_for(lambda: shop.counters()["total"] >= 10, timeout=60)
    time.sleep(3)  # both processes still have chunks waiting: give them the chance to overrun
    counters = shop.counters()
    assert (counters["total"], counters["rate_limited"]) == (10, 0)
    assert counters["max_in_flight"] <= 2


def scheduled_tasks(worker) -> list[dict]:
    """Tasks the worker holds until their ETA (retries with a countdown)."""
    replies = worker.app.control.inspect(destination=[worker.name], timeout=2.0).scheduled()
    return (replies or {}).get(worker.name, [])


def test_a_429_without_retry_after_is_retried_sixty_seconds_later(
    celery_worker_process, linked, shop, warehouse, receive_stock
):
    from datetime import datetime

    _integration, (product, _other), rows = linked
    # The read passes, the write gets a bare 429 (no Retry-After header).
    shop.load.configure(rate_limit=1, rate_window=60.0, retry_after=False)

    receive_stock(warehouse, {product: 6})

    retried = celery_worker_process.wait_for(lambda: drain_results("RETRY").first(), timeout=60)
    (waiting,) = celery_worker_process.wait_for(lambda: scheduled_tasks(celery_worker_process))
    assert waiting["request"]["id"] == retried.task_id
    # The retry was sent with its ETA a moment before the RETRY state was stored.
    countdown = (datetime.fromisoformat(waiting["eta"]) - retried.date_done).total_seconds()
    assert 55 <= countdown <= 60
    assert "RateLimited" in retried.result
    assert shop.counters()["rate_limited"] == 1
    link = ProductLink.objects.get(product=product)
    assert (link.dirty, link.state, shop.quantity(rows[product.pk])) == (True, "dirty", 0)


def test_a_shop_to_ledger_full_sync_on_the_worker_books_the_shop_and_writes_nothing_back(
    celery_worker_process, shop, make_integration, make_product, link_shop, warehouse,
    receive_stock,
):  # fmt: skip
    integration = make_integration(shop, mode=Integration.Mode.PRESTASHOP_TO_LOCAL, chunk_size=2)
    products = [make_product() for _ in range(3)]
    rows = link_shop(shop, integration, products)
    receive_stock(warehouse, {products[0]: 5, products[1]: 2})  # not sent: the shop is the truth
    for product, quantity in zip(products, [8, 2, 1], strict=True):
        shop.set_quantity(rows[product.pk], quantity)
    shop.reset_counters()

    run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)

    def finished():
        run.refresh_from_db()
        return not run.is_active

    celery_worker_process.wait_for(finished, timeout=60)
    assert (run.status, run.chunks_done, run.processed, run.changed) == ("done", 2, 3, 2)
    assert stock_totals([p.pk for p in products]) == {
        products[0].pk: 8, products[1].pk: 2, products[2].pk: 1,
    }  # fmt: skip
    booked = Document.objects.filter(origin=Document.Origin.SHOP)
    assert sorted(booked.values_list("kind", "status")) == [("INW", "approved")] * 2
    # The INWs' own stock changes do not come back to the shop: no drain, no write.
    assert (shop_writes(shop), drain_results("SUCCESS").count()) == (0, 0)
    assert not ProductLink.objects.filter(integration=integration, dirty=True).exists()
