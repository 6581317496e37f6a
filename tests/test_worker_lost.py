"""A whole worker killed mid-chunk (SIGKILL, the OOM killer, a redeploy): its lease expires,
the housekeeping sends its chunk again, the run finishes and a document approved meanwhile
reaches the shop; Redis would have given the task back only after its visibility timeout."""

import time

import pytest

from integrations import tasks
from integrations.models import Integration, ProductLink, SyncChunk, SyncLogEntry, SyncRun
from warehouse.selectors import stock_totals

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]

LEASE_TIMEOUT = 3  # seconds; production: 120
HOUSEKEEPING_PASSES = 60  # at most, one per half second (production: one a minute)


@pytest.fixture
def worker_env():
    """Short leases in the workers, renewed twice a second."""
    return {"INVSYNC_LEASE_TIMEOUT": str(LEASE_TIMEOUT), "INVSYNC_LEASE_RENEW_SECONDS": "0.5"}


@pytest.fixture
def short_leases(settings):
    """The same leases in this process, which runs the housekeeping."""
    settings.INVSYNC_LEASE_TIMEOUT = LEASE_TIMEOUT
    settings.INVSYNC_LEASE_RENEW_SECONDS = 0.5


def housekeeping_until(condition) -> int:
    """Run the periodic drain's body (as beat would) until the condition holds; the passes."""
    for passes in range(1, HOUSEKEEPING_PASSES + 1):
        tasks.drain_all_task()
        time.sleep(0.5)
        if condition():
            return passes
    pytest.fail("the killed worker's chunk was never taken back")


def test_a_chunk_of_a_killed_worker_is_taken_back_and_the_run_finishes(
    start_celery_worker, short_leases, shop, make_integration, make_product, link_shop,
    warehouse, receive_stock,
):  # fmt: skip
    # One row per request, so the counts below name each write.
    integration = make_integration(shop, chunk_size=4, batch_writes=Integration.BatchWrites.OFF)
    products = [make_product() for _ in range(4)]
    rows = link_shop(shop, integration, products, quantity=2)  # the ledger has none: all drift
    first = start_celery_worker()
    shop.faults.add("hang", seconds=4.0, count=1, methods={"GET"})  # the chunk's read hangs
    run = tasks.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)
    chunk = run.chunks.get()
    # Killed once a renewal has counted the hung read, while the chunk holds its links.
    first.wait_for(lambda: SyncChunk.objects.filter(pk=chunk.pk, requests=1).exists())
    lost_task = SyncChunk.objects.get(pk=chunk.pk).task_id
    first.kill_all()
    receive_stock(warehouse, {products[0]: 5})  # its drain finds the link held by the dead task
    second = start_celery_worker()

    def finished() -> bool:
        run.refresh_from_db()
        return not run.is_active and not ProductLink.objects.filter(dirty=True).exists()

    passes = housekeeping_until(finished)

    chunk.refresh_from_db()
    assert (run.status, run.processed, run.failed) == (SyncRun.Status.DONE, 4, 0)
    assert (chunk.requeues, chunk.attempts) == (1, 2)
    assert chunk.task_id != lost_task
    assert [shop.quantity(rows[p.pk]) for p in products] == [5, 0, 0, 0]
    assert stock_totals([products[0].pk]) == {products[0].pk: 5}
    # Counts: the lost attempt's read, then one read, the writes and their re-read.
    written = SyncLogEntry.objects.filter(run=run, outcome=SyncLogEntry.Outcome.WRITTEN).count()
    assert run.changed == chunk.changed == written
    assert run.requests == chunk.requests == 1 + 1 + written + 1
    assert not ProductLink.objects.exclude(claimed_by="").exists()
    print(f"run finished after {passes} housekeeping passes")  # measured, not asserted
    second.wait_for(lambda: shop.counters()["in_flight"] == 0)
