"""Chunks whose message is gone, and chunks that only wait for their retry (issue 10).

A broker restarted without persistence forgets the chunks it held: the housekeeping sends
them again once their run stopped moving for a lease timeout (not after the 12-hour run
timeout). A chunk waiting for its own retry's countdown is queued, not running, so no lease
runs out under it and nobody takes it for lost while its run goes on.
The lease timeout is one second here, and the tests wait it out (production: two minutes).
"""

import time

import pytest

from integrations.engine import leases, pacing, periodic, runs
from integrations.models import Integration, SyncChunk, SyncRun
from integrations.prestashop import ShopTemporaryError

pytestmark = pytest.mark.django_db

LEASE_TIMEOUT = 1  # second


@pytest.fixture
def run_of(shop, make_integration, make_product, link_shop, settings):
    """run_of(links, chunk_size) -> a full run not sent yet, over drifted shop rows."""
    settings.INVSYNC_LEASE_TIMEOUT = LEASE_TIMEOUT
    settings.INVSYNC_LEASE_RENEW_SECONDS = 0.5

    def make(count: int, *, chunk_size: int) -> SyncRun:
        integration = make_integration(
            shop, chunk_size=chunk_size, batch_writes=Integration.BatchWrites.OFF
        )
        link_shop(shop, integration, [make_product() for _ in range(count)], quantity=3)
        return runs.start_full_sync(integration, trigger=SyncRun.Trigger.ADMIN)

    return make


def outlive_the_lease() -> None:
    time.sleep(LEASE_TIMEOUT + 0.3)


def test_chunks_whose_messages_the_broker_lost_are_sent_again_once_the_run_stops_moving(
    run_of,
):
    run = run_of(4, chunk_size=2)
    sent = pacing.reserve_chunks(run.pk)  # sent; the broker then restarts and forgets them
    assert len(sent) == 2
    assert periodic.housekeeping().unsent_run_ids == []  # just sent: their workers may come

    outlive_the_lease()
    done = periodic.housekeeping()

    assert done.stranded_run_ids == done.unsent_run_ids == [run.pk]
    chunks = list(run.chunks.order_by("index"))
    assert [(c.status, c.task_id, c.requeues) for c in chunks] == [("queued", "", 0)] * 2
    again = pacing.reserve_chunks(run.pk)  # what tasks.send_chunks then does
    assert {chunk_id for chunk_id, _task in again} == {chunk_id for chunk_id, _task in sent}
    # An old message that still comes finds the chunk no longer its own.
    assert runs.sync_chunk(sent[0][0], token=sent[0][1]) == runs.SyncResult()


def test_a_queued_chunk_of_a_run_that_moves_is_left_to_its_message(run_of):
    run = run_of(4, chunk_size=2)
    (waiting, waiting_task), (working, task) = pacing.reserve_chunks(run.pk)
    runs.begin_attempt(SyncChunk.objects.get(pk=working), task)
    outlive_the_lease()
    leases.Lease(task, chunk_id=working, run_id=run.pk).beat()  # the worker is busy with it

    assert periodic.housekeeping().unsent_run_ids == []

    assert SyncChunk.objects.get(pk=waiting).task_id == waiting_task


def test_a_chunk_waiting_for_its_retry_is_queued_and_not_taken_for_lost(run_of):
    run = run_of(4, chunk_size=2)
    (retrying, token), (other, other_token) = pacing.reserve_chunks(run.pk)
    runs.begin_attempt(SyncChunk.objects.get(pk=retrying), token)
    runs.begin_attempt(SyncChunk.objects.get(pk=other), other_token)
    error = ShopTemporaryError("GET stock_availables: HTTP 503")
    runs.wait_for_retry(retrying, LEASE_TIMEOUT, token=token, error=error)

    chunk = SyncChunk.objects.get(pk=retrying)
    assert (chunk.status, chunk.task_id, chunk.lease_expires_at) == ("queued", token, None)
    assert chunk.due_at is not None  # when the retry is due
    # Its retry comes late (the workers are busy with the run's other chunk): the lease it
    # had would have run out meanwhile.
    outlive_the_lease()
    outlive_the_lease()
    leases.Lease(other_token, chunk_id=other, run_id=run.pk).beat()

    done = periodic.housekeeping()

    chunk = SyncChunk.objects.get(pk=retrying)
    assert (chunk.status, chunk.task_id, chunk.requeues) == ("queued", token, 0)
    assert done.unsent_run_ids == []
    assert runs.begin_attempt(chunk, token)  # the retry, when it comes, runs it: once
    assert not runs.begin_attempt(SyncChunk.objects.get(pk=retrying), "a-second-message")
