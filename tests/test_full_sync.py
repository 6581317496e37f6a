"""Full-sync runs without a shop: splitting, one active run, counters, final status, ETA."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import tasks
from integrations.engine import estimates, leases, pacing, periodic, runs
from integrations.engine.recording import SyncResult
from integrations.models import Integration, SyncChunk, SyncLogEntry, SyncRun
from integrations.panel.progress import run_progress
from integrations.prestashop import RateLimited, ShopConfigError, ShopTemporaryError
from integrations.tasks import next_retry

pytestmark = pytest.mark.both_databases


@pytest.fixture
def linked(db, make_integration, make_links, make_product):
    """An integration (chunks of 4) with 10 linked products."""
    integration = make_integration(chunk_size=4)
    products = [make_product() for _ in range(10)]
    make_links(integration, [(p, n) for n, p in enumerate(products, start=1)])
    return integration


def test_full_sync_splits_links_into_chunks_and_enqueues_them_after_commit(
    linked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = tasks.start_full_sync(linked, trigger=SyncRun.Trigger.ADMIN)
    chunks = list(run.chunks.order_by("index"))
    assert (run.total, run.chunks_total, run.status) == (10, 3, SyncRun.Status.QUEUED)
    assert [len(chunk.link_ids) for chunk in chunks] == [4, 4, 2]
    assert sorted(pk for chunk in chunks for pk in chunk.link_ids) == sorted(
        linked.links.values_list("pk", flat=True)
    )
    assert len(callbacks) == 1
    assert callbacks[0].args == (run.pk,)


def test_a_broker_outage_at_a_sync_start_logs_one_line_and_leaves_the_chunks_unsent(
    linked, broker_down, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        run = tasks.start_full_sync(linked, trigger=SyncRun.Trigger.ADMIN)

    [record] = caplog.records
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert "the broker failed: OperationalError: " in record.getMessage()
    assert "\n" not in record.getMessage()
    assert list(run.chunks.values_list("task_id", flat=True)) == ["", "", ""]  # sent later


def test_a_second_request_gets_the_run_in_progress(linked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = tasks.start_full_sync(linked, trigger=SyncRun.Trigger.ADMIN)
        second = tasks.start_full_sync(linked, trigger=SyncRun.Trigger.SCHEDULE)
    assert second.pk == first.pk
    assert SyncRun.objects.count() == 1


def test_the_database_refuses_a_second_active_full_run(linked):
    from django.db import IntegrityError, transaction

    SyncRun.objects.create(integration=linked, kind="full", trigger="admin")
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(integration=linked, kind="scheduled", trigger="schedule")


def test_a_schedule_trigger_creates_a_scheduled_run(linked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = tasks.start_full_sync(linked, trigger=SyncRun.Trigger.SCHEDULE)
    assert run.kind == SyncRun.Kind.SCHEDULED


def test_no_links_gives_a_finished_empty_run(db, make_integration):
    run = tasks.start_full_sync(make_integration(), trigger=SyncRun.Trigger.COMMAND)
    assert (run.status, run.total, run.chunks_total) == (SyncRun.Status.DONE, 0, 0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"active": False}, "inactive"),
        ({"mode": Integration.Mode.DISABLED}, "disabled"),
        ({"halted_at": timezone.now(), "last_error": "Bad key."}, "Bad key."),
    ],
)
def test_an_integration_that_cannot_sync_refuses_a_full_sync(
    db, make_integration, translation_en, fields, message
):
    integration = make_integration(**fields)
    with pytest.raises(runs.SyncRefused, match=message):
        tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)
    assert SyncRun.objects.count() == 0


def test_counters_add_up_as_chunks_finish_and_the_last_one_sets_the_status(
    linked, django_capture_on_commit_callbacks
):
    from integrations.engine.leases import add_chunk_counts

    with django_capture_on_commit_callbacks(execute=False):
        run = tasks.start_full_sync(linked, trigger=SyncRun.Trigger.ADMIN)
    chunks = list(run.chunks.order_by("index"))
    add_chunk_counts(chunks[0].pk, run.pk, requests=3)
    runs.finish_chunk(chunks[0].pk)
    runs.finish_chunk(chunks[0].pk)  # redelivered
    run.refresh_from_db()
    assert (run.chunks_done, run.processed, run.requests, run.status) == (1, 4, 3, "queued")
    add_chunk_counts(chunks[1].pk, run.pk, requests=2)
    runs.finish_chunk(chunks[1].pk)
    runs.fail_chunk(chunks[2].pk, RateLimited("Too many requests", retry_after=None))
    run.refresh_from_db()
    assert (run.chunks_done, run.processed, run.failed, run.requests) == (3, 8, 2, 5)
    assert run.status == SyncRun.Status.DONE_WITH_ERRORS
    assert run.error == (
        "Sklep ogranicza liczbę zapytań (HTTP 429); synchronizacja spróbuje ponownie później. "
        "Szczegóły: Too many requests"
    )
    assert run.finished_at is not None


def test_a_run_whose_every_chunk_failed_is_failed(linked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = tasks.start_full_sync(linked, trigger=SyncRun.Trigger.ADMIN)
    for chunk in run.chunks.all():
        runs.fail_chunk(chunk.pk, ShopConfigError("401 Unauthorized"))
    run.refresh_from_db()
    assert (run.status, run.failed) == (SyncRun.Status.FAILED, 10)


def test_a_chunk_of_a_stopped_integration_fails_without_contacting_the_shop(
    linked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        run = tasks.start_full_sync(linked, trigger=SyncRun.Trigger.ADMIN)
    Integration.objects.filter(pk=linked.pk).update(halted_at=timezone.now(), last_error="No key.")
    chunk = run.chunks.first()
    assert runs.sync_chunk(chunk.pk) == SyncResult()
    chunk.refresh_from_db()
    assert chunk.status == SyncChunk.Status.FAILED
    assert "No key." in chunk.error


@pytest.mark.parametrize(("batch_writes", "seconds"), [("auto", 9.0), ("off", 16.0)])
def test_estimate_without_history_is_derived_from_the_rate_limit(linked, batch_writes, seconds):
    Integration.objects.filter(pk=linked.pk).update(
        requests_per_minute=60, batch_writes=batch_writes
    )
    linked.refresh_from_db()
    estimate = estimates.estimate(linked)
    # Chunks of 4, 4 and 2 links, every row assumed to differ, one request per second: per
    # chunk a read, a verifying re-read and one multi-row write (9) or one write a row (16).
    assert (estimate.products, estimate.chunks, estimate.seconds) == (10, 3, seconds)
    assert estimate.from_history is False


def test_estimate_uses_the_throughput_of_finished_runs(linked):
    start = timezone.now() - timedelta(hours=1)
    SyncRun.objects.create(
        integration=linked,
        kind="full",
        trigger="admin",
        status=SyncRun.Status.DONE,
        processed=1000,
        started_at=start,
        finished_at=start + timedelta(seconds=100),
    )
    estimate = estimates.estimate(linked)
    assert estimate.seconds == pytest.approx(1.0)  # 10 products at 10 per second
    assert estimate.from_history is True


def test_429s_and_other_temporary_failures_spend_separate_budgets(settings):
    settings.INVSYNC_RETRY_AFTER_MAX = 900
    assert next_retry(RateLimited("429", retry_after=7), None) == (7, {"rate_limited": 1})
    assert next_retry(RateLimited("429", retry_after=None), {"rate_limited": 2})[0] == 60
    assert next_retry(RateLimited("429"), {"rate_limited": 3}) == (None, {"rate_limited": 3})
    assert next_retry(ShopConfigError("401"), None) == (None, {})
    spent, delays = {"rate_limited": 3}, []
    for _ in range(5):  # five 503s after three 429s: the 429s took nothing from them
        delay, spent = next_retry(ShopTemporaryError("503"), spent)
        delays.append(delay)
    assert all(0 <= delay <= 5 * 2**n for n, delay in enumerate(delays))
    assert spent == {"rate_limited": 3, "temporary": 5}
    assert next_retry(ShopTemporaryError("503"), spent)[0] is None
    # A 429 asking for an hour waits INVSYNC_RETRY_AFTER_MAX at most.
    assert next_retry(RateLimited("429", retry_after=3600), None)[0] == 900


def test_old_log_entries_are_pruned(linked, settings):
    settings.INVSYNC_LOG_RETENTION_DAYS = 30
    old = SyncLogEntry.objects.create(integration=linked, outcome="written")
    SyncLogEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    SyncLogEntry.objects.create(integration=linked, outcome="written")
    assert periodic.prune_log() == 1
    assert SyncLogEntry.objects.count() == 1


def run_chunks(run: SyncRun) -> None:
    """Run every chunk of a run in this process (what the worker does with the chunk tasks)."""
    for chunk_id in run.chunks.order_by("index").values_list("pk", flat=True):
        runs.sync_chunk(chunk_id)
    run.refresh_from_db()


@pytest.mark.django_db
def test_a_full_sync_of_2000_products_writes_exactly_the_drift_and_then_nothing(
    shop, make_integration, link_shop, warehouse, django_capture_on_commit_callbacks
):
    from integrations.models import ProductLink
    from tests.fixtures.integrations import shop_reads, shop_writes
    from warehouse import services
    from warehouse.models import Document, Product

    products = Product.objects.bulk_create(
        Product(sku=f"BULK-{n:05d}", name=f"Bulk {n}") for n in range(2000)
    )
    integration = make_integration(shop)  # chunks of 500 (the default)
    rows = link_shop(shop, integration, products, quantity=4)
    document = services.create_document(Document.Kind.PZ, warehouse, [(p, 4) for p in products])
    with django_capture_on_commit_callbacks(execute=False):
        services.approve(document, user=None)
    drifted = products[::10]  # 10%: somebody edited these in the shop
    for product in drifted:
        shop.set_quantity(rows[product.pk], 9)
    shop.reset_counters()

    with django_capture_on_commit_callbacks(execute=False):
        run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.COMMAND)
    run_chunks(run)

    assert (run.status, run.total, run.processed, run.changed, run.failed) == (
        SyncRun.Status.DONE, 2000, 2000, 200, 0,
    )  # fmt: skip
    # Per chunk of 500: one range read, the 50 rows that differ in one multi-row write (the
    # size a new integration starts with), one re-read of the writes.
    assert shop_writes(shop) == 4
    assert {shop.quantity(rows[p.pk]) for p in drifted} == {4}
    assert shop_reads(shop) == 4 * 2
    assert run.requests == shop.counters()["total"] == 4 * 3
    assert not ProductLink.objects.filter(dirty=True).exists()
    assert ProductLink.objects.filter(ps_stock_id__isnull=True).count() == 0

    shop.reset_counters()
    with django_capture_on_commit_callbacks(execute=False):
        again = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.COMMAND)
    run_chunks(again)
    assert (again.status, again.changed, shop_writes(shop)) == (SyncRun.Status.DONE, 0, 0)
    assert shop_reads(shop) == again.requests == 4  # one read per chunk


def start_without_sending(integration, callbacks_fixture) -> SyncRun:
    with callbacks_fixture(execute=False):
        return tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)


def test_chunks_are_reserved_up_to_the_limit_in_flight_and_one_more_per_finished_chunk(
    linked, django_capture_on_commit_callbacks
):
    run = start_without_sending(linked, django_capture_on_commit_callbacks)

    first = pacing.reserve_chunks(run.pk, limit=2)
    again = pacing.reserve_chunks(run.pk, limit=2)
    runs.finish_chunk(first[0][0])
    after_one_finished = pacing.reserve_chunks(run.pk, limit=2)

    chunks = list(run.chunks.order_by("index"))
    assert [chunk_id for chunk_id, _task in first] == [chunks[0].pk, chunks[1].pk]
    assert again == []
    assert [chunk_id for chunk_id, _task in after_one_finished] == [chunks[2].pk]
    assert [chunk.task_id != "" for chunk in chunks] == [True, True, True]
    assert pacing.in_flight(run.pk) == 2


def test_a_reservation_the_broker_refused_is_given_back_for_the_periodic_drain(
    linked, django_capture_on_commit_callbacks
):
    run = start_without_sending(linked, django_capture_on_commit_callbacks)
    reserved = pacing.reserve_chunks(run.pk, limit=2)

    assert pacing.unreserve(reserved) == 2
    assert pacing.in_flight(run.pk) == 0
    assert set(run.chunks.values_list("task_id", flat=True)) == {""}


def test_cancelling_a_run_no_chunk_started_ends_it_at_once(
    linked, django_capture_on_commit_callbacks, admin_user
):
    run = start_without_sending(linked, django_capture_on_commit_callbacks)
    pacing.reserve_chunks(run.pk, limit=1)  # one chunk's message is already in the broker

    outcome = runs.cancel_run(run.pk, user=admin_user)

    run.refresh_from_db()
    assert outcome == runs.Cancellation(dropped=3, stopping=0, ended=True)
    assert (run.status, run.cancelled_by, run.chunks_done) == ("cancelled", admin_user, 0)
    assert run.finished_at is not None
    assert set(run.chunks.values_list("status", flat=True)) == {"cancelled"}
    # The message still in the broker finds its chunk cancelled: it does nothing (the
    # integration points at a closed port, so any request would fail).
    assert runs.sync_chunk(run.chunks.get(index=0).pk) == SyncResult()
    assert pacing.reserve_chunks(run.pk) == []
    with pytest.raises(runs.SyncRefused, match="już się zakończył"):
        runs.cancel_run(run.pk)


def test_a_run_cancelled_while_a_chunk_runs_ends_when_that_chunk_stops(
    linked, django_capture_on_commit_callbacks
):
    run = start_without_sending(linked, django_capture_on_commit_callbacks)
    running = run.chunks.get(index=0)
    SyncChunk.objects.filter(pk=running.pk).update(
        status="running", task_id="t-0", lease_expires_at=leases.expiry()
    )

    outcome = runs.cancel_run(run.pk)
    run.refresh_from_db()
    progress_label = run_progress(run).status_label
    with pytest.raises(runs.SyncRefused, match="jest właśnie anulowany"):
        tasks.start_full_sync(linked, trigger=SyncRun.Trigger.ADMIN)
    # The running chunk wrote one of its 4 links (two requests), then saw the cancellation.
    SyncChunk.objects.filter(pk=running.pk).update(done_link_ids=running.link_ids[:1])
    leases.add_chunk_counts(running.pk, run.pk, requests=2)
    runs.finish_chunk(running.pk, cancelled=True)

    run.refresh_from_db()
    running.refresh_from_db()
    assert outcome == runs.Cancellation(dropped=2, stopping=1, ended=False)
    assert progress_label == "anulowanie w toku"
    assert (running.status, running.processed) == ("cancelled", 1)
    assert (run.status, run.processed, run.requests, run.chunks_done) == ("cancelled", 1, 2, 0)


def test_a_chunk_leaves_to_a_drain_sent_lately_the_changes_it_will_send(
    linked, django_capture_on_commit_callbacks
):
    run = start_without_sending(linked, django_capture_on_commit_callbacks)
    first = run.chunks.get(index=0)
    linked.links.filter(pk__in=first.link_ids).update(dirty=True)
    Integration.objects.filter(pk=linked.pk).update(
        drain_due_at=timezone.now() + timedelta(seconds=1)
    )

    # The shop is a closed port: any request would fail the chunk.
    result = runs.sync_chunk(first.pk)

    first.refresh_from_db()
    assert (result.held, result.requests) == (4, 0)
    assert (first.status, first.processed) == ("done", 4)
    assert runs.live_links(linked, first.link_ids) == set(first.link_ids)
    Integration.objects.filter(pk=linked.pk).update(
        drain_due_at=timezone.now() - timedelta(minutes=2)
    )
    assert runs.live_links(linked, first.link_ids) == set()  # no drain lately: the run takes them
