"""Nothing stuck, nothing stale (issue 10): leases, retried failures, progress under faults,
late writes, crashes, counts. Against the simulator over HTTP; the task bodies' decisions
(tasks.next_retry) are applied by hand where a worker would wait for a countdown."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import tasks
from integrations.engine import drain, failures, leases, outbox, periodic, push, runs
from integrations.models import Integration, ProductLink, SyncChunk, SyncLogEntry, SyncRun
from integrations.prestashop import RateLimited, ShopTemporaryError
from integrations.ratelimit import forget_local_states
from tests.fixtures.integrations import shop_writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def drifted(shop, make_integration, make_product, link_shop):
    """make(count, chunk_size=…) -> (integration, products, rows): shop rows holding 3 for
    products the ledger has none of, links clean (only a full sync finds the drift).

    One row per request: these faults are counted per write (test_sync_batches.py covers the
    same failures in multi-row writes)."""

    def make(count: int, *, chunk_size: int = 50):
        integration = make_integration(
            shop, chunk_size=chunk_size, batch_writes=Integration.BatchWrites.OFF
        )
        products = [make_product() for _ in range(count)]
        rows = link_shop(shop, integration, products, quantity=3)
        shop.reset_counters()
        return integration, products, rows

    return make


def start_run(integration, capture) -> SyncRun:
    with capture(execute=False):
        return tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)


def run_like_the_task(chunk_id: int) -> list:
    """Attempts of a chunk as sync_chunk_task makes them (no countdown waited); the results."""
    attempts, spent = [], None
    while True:
        result = runs.sync_chunk(chunk_id)
        attempts.append(result)
        if result.error is None:
            return attempts
        delay, spent = tasks.next_retry(result.error, None if result.settled else spent)
        if delay is None:
            runs.fail_chunk(chunk_id, result.error)
            return attempts


def fresh(obj):
    obj.refresh_from_db()
    return obj


def wait_until(condition, *, timeout: float = 30.0) -> None:
    """Poll until the condition holds (what a simulator thread does takes its time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.05)


# 1. A worker that is gone: leases (the real worker and SIGKILL are in test_worker_lost.py).


def test_a_chunk_whose_lease_expired_is_queued_again_and_its_claims_freed(
    drifted, django_capture_on_commit_callbacks
):
    integration, _products, _rows = drifted(3)
    run = start_run(integration, django_capture_on_commit_callbacks)
    chunk = run.chunks.get()
    assert runs.begin_attempt(chunk, "dead-task")
    outbox.claim(integration, limit=3, token="dead-task", link_ids=chunk.link_ids)
    SyncChunk.objects.filter(pk=chunk.pk).update(lease_expires_at=timezone.now())

    done = periodic.housekeeping()

    chunk = fresh(chunk)
    assert (chunk.status, chunk.task_id, chunk.requeues) == ("queued", "", 1)
    assert done.unsent_run_ids == [run.pk]
    assert not ProductLink.objects.filter(claimed_by="dead-task").exists()
    # The dead task's message, handed out again by the broker, finds the chunk not its own.
    SyncChunk.objects.filter(pk=chunk.pk).update(task_id="sent-again")
    assert runs.sync_chunk(chunk.pk, token="dead-task") == runs.SyncResult()
    assert fresh(chunk).attempts == 1


def test_a_live_lease_is_renewed_and_not_taken(drifted, django_capture_on_commit_callbacks):
    integration, _products, _rows = drifted(2)
    run = start_run(integration, django_capture_on_commit_callbacks)
    chunk = run.chunks.get()
    runs.begin_attempt(chunk, "live")
    outbox.claim(integration, limit=2, token="live", link_ids=chunk.link_ids)
    old = timezone.now() - timedelta(hours=1)
    ProductLink.objects.update(claimed_at=old)
    SyncChunk.objects.filter(pk=chunk.pk).update(lease_expires_at=old)

    leases.Lease("live", chunk_id=chunk.pk, run_id=run.pk).beat()

    assert periodic.housekeeping().unsent_run_ids == []
    assert fresh(chunk).status == SyncChunk.Status.RUNNING
    assert ProductLink.objects.filter(claimed_by="live").count() == 2
    assert outbox.claim(integration, limit=2, token="drain", link_ids=chunk.link_ids) == {}


def test_a_new_full_sync_closes_a_run_with_no_live_chunk_instead_of_joining_it(
    drifted, django_capture_on_commit_callbacks
):
    integration, _products, _rows = drifted(4, chunk_size=2)
    stuck = start_run(integration, django_capture_on_commit_callbacks)
    first, second = stuck.chunks.order_by("index")
    runs.sync_chunk(first.pk)
    runs.begin_attempt(second, "dead-task")
    assert start_run(integration, django_capture_on_commit_callbacks).pk == stuck.pk  # alive
    SyncChunk.objects.filter(pk=second.pk).update(lease_expires_at=timezone.now())

    new = start_run(integration, django_capture_on_commit_callbacks)

    assert new.pk != stuck.pk
    assert new.is_active
    stuck = fresh(stuck)
    assert (stuck.status, stuck.chunks_done, stuck.changed) == ("done_with_errors", 2, 2)
    second = fresh(second)
    assert (second.status, second.error) == ("failed", runs.lost_reason(1))


def test_a_chunk_that_keeps_losing_its_worker_is_given_up(
    drifted, django_capture_on_commit_callbacks
):
    integration, _products, _rows = drifted(2)
    run = start_run(integration, django_capture_on_commit_callbacks)
    chunk = run.chunks.get()
    for attempt in range(4):
        runs.begin_attempt(fresh(chunk), f"killed-{attempt}")
        SyncChunk.objects.filter(pk=chunk.pk).update(lease_expires_at=timezone.now())
        periodic.housekeeping()
    chunk, run = fresh(chunk), fresh(run)
    assert (chunk.status, chunk.requeues, run.status) == ("failed", 3, "failed")


# 2. Links a full sync could not fix are retried by the drain, on the back-off.


def test_links_a_full_sync_failed_stay_dirty_and_the_drain_retries_them_when_due(
    drifted, shop, django_capture_on_commit_callbacks
):
    integration, _products, rows = drifted(6)
    shop.faults.add("not_applied", count=4, methods={"PUT", "PATCH"})
    run = start_run(integration, django_capture_on_commit_callbacks)

    run_like_the_task(run.chunks.get().pk)

    run = fresh(run)
    assert (run.status, run.changed, run.failed) == ("done_with_errors", 2, 4)
    failing = ProductLink.objects.filter(state=ProductLink.State.FAILING)
    assert failing.count() == failing.filter(dirty=True, next_attempt_at__gt=timezone.now()).count()
    assert failing.count() == 4
    assert outbox.pending_integration_ids() == []  # backing off: 30 s first
    shop.faults.clear()
    failing.update(next_attempt_at=timezone.now() - timedelta(seconds=1))  # their time comes
    assert outbox.pending_integration_ids() == [integration.pk]

    assert drain.drain(integration.pk).changed == 4

    assert sorted(shop.quantity(row) for row in rows.values()) == [0] * 6
    assert set(ProductLink.objects.values_list("state", "dirty")) == {("ok", False)}


def test_a_link_failing_for_an_hour_is_retried_hourly_and_needs_attention(
    db, make_integration, make_product, make_links, admin_client
):
    integration = make_integration()
    links = make_links(integration, [(make_product(f"A-{n}"), n) for n in (1, 2)])
    ProductLink.objects.filter(pk=links[0].pk).update(failed_attempts=6)
    links = list(integration.links.order_by("pk"))
    now = timezone.now()
    for _ in range(2):  # the 7th and the 8th failure in a row
        failures.mark_failures(links[:1], {links[0].pk: "503"}, state="failing", now=now)

    link = fresh(links[0])
    assert (link.failed_attempts, link.dirty, link.needs_attention) == (8, True, True)
    assert 0.8 * 3600 <= (link.next_attempt_at - now).total_seconds() <= 1.2 * 3600
    page = admin_client.get(
        "/admin/integrations/productlink/", {"attention": "attention"}
    ).content.decode()
    assert ">A-1<" in page
    assert ">A-2<" not in page


# 3. Progress under faults: every attempt keeps what it did; budgets per kind of failure.


def test_a_chunk_under_flaky_5xx_writes_every_row_over_its_attempts(
    drifted, shop, django_capture_on_commit_callbacks
):
    integration, _products, rows = drifted(12)
    shop.faults.seed(7)
    shop.faults.add("http_error", status=503, probability=0.5, methods={"PUT", "PATCH"})
    run = start_run(integration, django_capture_on_commit_callbacks)
    chunk = run.chunks.get()

    attempts = run_like_the_task(chunk.pk)

    chunk, run = fresh(chunk), fresh(run)
    assert (chunk.status, chunk.changed, chunk.failed) == ("done", 12, 0)
    assert sorted(shop.quantity(row) for row in rows.values()) == [0] * 12
    refused = shop.counters()["by_status"]["503"]
    assert shop_writes(shop) == 12 + refused  # every row written once, plus the 503s
    # The first attempt did not stop at its first 503, and each later one went on from there.
    assert len(attempts[0].settled) > 1
    assert len(attempts) < refused
    assert chunk.requests == run.requests == shop.counters()["total"]


def test_an_attempt_stopped_by_a_429_keeps_what_it_read_and_wrote(
    drifted, shop, django_capture_on_commit_callbacks
):
    integration, _products, rows = drifted(5)
    in_sync = sorted(rows.values())[:2]
    for row in in_sync:
        shop.set_quantity(row, 0)  # already right
    shop.load.configure(rate_limit=3, rate_window=60)  # the read and two writes pass
    run = start_run(integration, django_capture_on_commit_callbacks)
    chunk = run.chunks.get()

    first = runs.sync_chunk(chunk.pk)

    assert isinstance(first.error, RateLimited)
    chunk = fresh(chunk)
    assert (chunk.status, len(chunk.done_link_ids), chunk.changed) == ("running", 4, 2)
    shop.load.configure(rate_limit=None)
    forget_local_states()  # the Retry-After the task's countdown waits for
    assert runs.sync_chunk(chunk.pk).error is None
    chunk = fresh(chunk)
    # The rows read in sync and the two written before the 429 are not taken again.
    assert (chunk.status, chunk.changed, shop_writes(shop)) == ("done", 3, 4)  # 3 + the 429
    assert chunk.requests == fresh(run).requests == shop.counters()["total"]
    assert sorted(shop.quantity(row) for row in rows.values()) == [0] * 5


def test_the_client_retries_each_request_by_the_settings(
    drifted, shop, settings, django_capture_on_commit_callbacks
):
    from integrations.engine import shop as shop_door

    settings.INVSYNC_SHOP_RETRIES = 2
    settings.INVSYNC_SHOP_RATE_LIMIT_RETRIES = 1
    settings.INVSYNC_SHOP_RETRY_AFTER_WAIT = 12.0
    policy = shop_door.retry_policy()
    assert (policy.temporary_retries, policy.rate_limited_retries) == (2, 1)
    assert policy.retry_after_cap == policy.rate_limited_delay == 12.0
    integration, _products, rows = drifted(2)
    shop.faults.add("http_error", status=502, count=1, methods={"PUT", "PATCH"})
    run = start_run(integration, django_capture_on_commit_callbacks)

    assert len(run_like_the_task(run.chunks.get().pk)) == 1  # the client retried the 502
    assert sorted(shop.quantity(row) for row in rows.values()) == [0, 0]
    assert shop_writes(shop) == 3
    # A 502 comes from a gateway: the first write may still have reached PHP.
    assert ProductLink.objects.filter(state="uncertain").count() == 1


# 4. A write that lands after its answer was lost is read again after the grace.


def test_a_late_write_over_a_newer_value_is_found_and_repaired(
    shop, make_integration, make_product, link_shop, warehouse, settings, receive_stock,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.INVSYNC_SHOP_READ_TIMEOUT = 0.3
    integration = make_integration(shop)
    product = make_product()
    row = link_shop(shop, integration, [product])[product.pk]
    with django_capture_on_commit_callbacks(execute=False):
        receive_stock(warehouse, {product: 70})
    shop.faults.add("hang", seconds=3.0, count=1, methods={"PUT", "PATCH"})

    with pytest.raises(ShopTemporaryError):
        drain.drain(integration.pk)  # the write of 70 times out here, lands in 3 s

    link = ProductLink.objects.get()
    assert (link.state, link.dirty) == ("uncertain", True)
    assert link.recheck_at > timezone.now() + timedelta(seconds=290)
    with django_capture_on_commit_callbacks(execute=False):
        receive_stock(warehouse, {product: 3})
    ProductLink.objects.update(next_attempt_at=None)  # its back-off is over
    assert drain.drain(integration.pk).changed == 1  # 73, verified
    wait_until(lambda: shop.quantity(row) == 70)  # the late write lands over it
    link = fresh(link)
    assert (link.state, link.dirty) == ("uncertain", False)  # not "ok": it is read again
    assert periodic.housekeeping().rechecks == 0  # not before the grace is over

    ProductLink.objects.update(recheck_at=timezone.now() - timedelta(seconds=1))
    done = periodic.housekeeping()

    assert (done.rechecks, done.drain_ids) == (1, [integration.pk])
    assert drain.drain(integration.pk).changed == 1
    assert shop.quantity(row) == 73
    link = fresh(link)
    assert (link.state, link.dirty, link.recheck_at) == ("ok", False, None)


# 5. An exception that is not the shop's ends the chunk or the drain, with the reason.


def test_an_unexpected_error_fails_the_chunk_with_its_reason_and_frees_the_claims(
    drifted, monkeypatch, django_capture_on_commit_callbacks, translation_en
):
    integration, _products, _rows = drifted(3)
    run = start_run(integration, django_capture_on_commit_callbacks)
    chunk = run.chunks.get()

    def recurse(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(push, "plan_changes", recurse)

    with pytest.raises(RecursionError):
        tasks.sync_chunk_task(chunk.pk)

    chunk, run = fresh(chunk), fresh(run)
    assert (chunk.status, run.status, run.failed) == ("failed", "failed", 3)
    assert "unexpected error" in chunk.error
    assert "RecursionError" in chunk.error
    assert (chunk.requests, run.requests) == (1, 1)  # the read before the crash
    assert not ProductLink.objects.exclude(claimed_by="").exists()
    assert set(ProductLink.objects.values_list("state", "dirty")) == {("failing", True)}


def test_an_unexpected_error_in_a_drain_fails_its_links_with_the_reason(
    drifted, monkeypatch, translation_en
):
    integration, _products, _rows = drifted(2)
    outbox.mark(list(integration.links.values_list("product_id", flat=True)))
    monkeypatch.setattr(push, "plan_changes", lambda *a: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        tasks.drain_task(integration.pk)

    links = list(ProductLink.objects.all())
    assert [(link.state, link.dirty, link.claimed_by) for link in links] == [
        ("failing", True, "")
    ] * 2
    assert all("ZeroDivisionError" in link.last_error for link in links)
    assert Integration.objects.filter(pk=integration.pk, drain_token="").exists()  # turn ended


def test_a_drain_task_that_found_another_running_sends_a_drain_after_it(drifted, monkeypatch):
    integration, _products, _rows = drifted(2)
    outbox.mark(list(integration.links.values_list("product_id", flat=True)))
    drain.take_turn(integration.pk, "running-drain")
    sent = []
    monkeypatch.setattr(tasks, "enqueue_drains", sent.append)

    assert tasks.drain_task(integration.pk)["deferred"] == 1

    assert sent == [{integration.pk}]
    assert integration.links.filter(dirty=True).count() == 2


# 6. Counts that add up, whatever way a chunk ends.


def test_a_chunk_that_gives_up_counts_what_every_attempt_did(
    drifted, shop, django_capture_on_commit_callbacks
):
    integration, _products, _rows = drifted(6)
    shop.load.configure(rate_limit=3, rate_window=60)  # the read and two writes pass
    run = start_run(integration, django_capture_on_commit_callbacks)
    chunk = run.chunks.get()
    assert isinstance(runs.sync_chunk(chunk.pk).error, RateLimited)
    shop.load.configure(rate_limit=None)
    forget_local_states()
    shop.faults.add("http_error", status=503, methods={"GET"})  # then the shop goes down

    attempts = run_like_the_task(chunk.pk)

    chunk, run = fresh(chunk), fresh(run)
    written = SyncLogEntry.objects.filter(run=run, outcome=SyncLogEntry.Outcome.WRITTEN).count()
    assert chunk.status == SyncChunk.Status.FAILED
    assert (chunk.changed, run.changed, written) == (2, 2, 2)
    # 4 requests in the first attempt, 1 read in each later one: all of them counted.
    assert len(attempts) == 6  # five retries of a chunk making no progress, then it gives up
    assert chunk.requests == run.requests == shop.counters()["total"] == 4 + 6
    assert (chunk.processed, chunk.failed, run.failed, run.status) == (2, 4, 4, "failed")


class Killed(BaseException):
    """What SIGKILL does to a pool process, as far as the database can tell: it just stops."""


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_chunk_rerun_after_its_process_died_counts_each_write_once(
    drifted, shop, settings, monkeypatch
):
    from integrations.prestashop import PrestaShopClient

    settings.INVSYNC_LEASE_RENEW_SECONDS = 0.05
    integration, _products, rows = drifted(4)
    run = runs.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)  # nothing sent
    chunk = run.chunks.get()
    write = PrestaShopClient.write_quantity

    def write_then_die(client, row, quantity):
        if shop_writes(shop) == 2:  # killed before the third write, once a renewal counted two
            counted = SyncChunk.objects.filter(pk=chunk.pk, changed=2, requests=3)
            wait_until(counted.exists)
            raise Killed
        return write(client, row, quantity)

    monkeypatch.setattr(PrestaShopClient, "write_quantity", write_then_die)
    with pytest.raises(Killed):
        runs.sync_chunk(chunk.pk, token="task-1")
    monkeypatch.setattr(PrestaShopClient, "write_quantity", write)

    runs.sync_chunk(chunk.pk, token="task-1")  # the same task, redelivered to another process

    chunk, run = fresh(chunk), fresh(run)
    assert (chunk.status, chunk.attempts, chunk.processed, chunk.failed) == ("done", 2, 4, 0)
    assert chunk.changed == run.changed == shop_writes(shop) == 4
    assert chunk.requests == run.requests == shop.counters()["total"] == 3 + 4
    assert sorted(shop.quantity(row) for row in rows.values()) == [0] * 4
