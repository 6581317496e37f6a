"""What .env.example says of CELERY_TASK_SOFT_TIME_LIMIT: the soft limit's error ends the task
as any unexpected error does. Nothing resumes where it stopped: the links it held are failed
with the reason and stay marked for sending, a chunk is recorded as failed, the task fails."""

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from integrations import tasks
from integrations.engine import outbox, push
from integrations.models import Integration, ProductLink, SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(shop, make_integration, make_product, link_shop):
    """An integration with three linked products whose shop rows differ from the ledger."""
    integration = make_integration(shop, batch_writes=Integration.BatchWrites.OFF)
    link_shop(shop, integration, [make_product() for _ in range(3)], quantity=3)
    return integration


def out_of_time(*args, **kwargs):
    raise SoftTimeLimitExceeded("SoftTimeLimitExceeded()")


def test_a_drain_past_its_soft_limit_fails_and_leaves_its_links_to_the_next_drain(
    linked, monkeypatch, translation_en
):
    outbox.mark(list(linked.links.values_list("product_id", flat=True)))
    monkeypatch.setattr(push, "plan_changes", out_of_time)

    with pytest.raises(SoftTimeLimitExceeded):
        tasks.drain_task(linked.pk)

    links = list(ProductLink.objects.all())
    assert [(link.state, link.dirty, link.claimed_by) for link in links] == [
        ("failing", True, "")
    ] * 3
    assert all("SoftTimeLimitExceeded" in link.last_error for link in links)


def test_a_chunk_past_its_soft_limit_is_recorded_as_failed_not_resumed(
    linked, monkeypatch, django_capture_on_commit_callbacks, translation_en
):
    with django_capture_on_commit_callbacks(execute=False):
        run = tasks.start_full_sync(linked, trigger=SyncRun.Trigger.ADMIN)
    chunk = run.chunks.get()
    monkeypatch.setattr(push, "plan_changes", out_of_time)

    with pytest.raises(SoftTimeLimitExceeded):
        tasks.sync_chunk_task(chunk.pk)

    chunk.refresh_from_db()
    run.refresh_from_db()
    assert (chunk.status, run.status, run.failed) == ("failed", "failed", 3)
    assert "SoftTimeLimitExceeded" in chunk.error
    assert set(ProductLink.objects.values_list("state", "dirty", "claimed_by")) == {
        ("failing", True, "")
    }
