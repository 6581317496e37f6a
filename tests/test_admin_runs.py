"""Sync runs in the admin: the list, the page with live progress, its JSON and its chunks."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from integrations import runs
from integrations.models import SyncChunk, SyncRun

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.fixture
def half_done_run(make_integration, make_product, make_links):
    """A running full sync of 4 links in 2 chunks: the first done 20 s after the start."""
    integration = make_integration(chunk_size=2)
    make_links(integration, [(make_product(), 10 + n) for n in range(4)])
    run = runs.start_full_sync(integration, trigger="admin")
    started = timezone.now() - timedelta(seconds=20)
    SyncRun.objects.filter(pk=run.pk).update(
        status="running", started_at=started, processed=2, changed=1, chunks_done=1
    )
    SyncChunk.objects.filter(run=run, index=0).update(status="done", processed=2, changed=1)
    SyncChunk.objects.filter(run=run, index=1).update(
        status="running", attempts=2, error="HTTP 503 from the shop"
    )
    run.refresh_from_db()
    return run


def progress_url(run):
    return reverse("admin:integrations_syncrun_progress", args=[run.pk])


def test_progress_json_gives_counts_percentage_rate_and_time_left(admin_client, half_done_run):
    data = admin_client.get(progress_url(half_done_run)).json()

    assert data["run_id"] == half_done_run.pk
    assert (data["status"], data["status_label"], data["final"]) == ("running", "w toku", False)
    assert (data["processed"], data["total"], data["percent"]) == (2, 4, 50)
    assert (data["changed"], data["failed"]) == (1, 0)
    assert (data["chunks_done"], data["chunks_total"]) == (1, 2)
    assert data["rate"] == pytest.approx(0.1, abs=0.01)
    assert data["rate_label"].endswith("produktów/s")
    assert data["eta_seconds"] == pytest.approx(20, abs=2)
    assert data["eta_label"] in {"20 s", "21 s", "22 s"}


def test_progress_json_of_a_finished_run_is_final(admin_client, half_done_run):
    SyncRun.objects.filter(pk=half_done_run.pk).update(
        status="done", processed=4, finished_at=timezone.now()
    )

    data = admin_client.get(progress_url(half_done_run)).json()

    assert (data["final"], data["percent"], data["status_label"]) == (True, 100, "zakończony")
    assert data["eta_seconds"] is None


def test_run_page_shows_progress_polls_its_json_and_lists_chunks_with_errors(
    admin_client, half_done_run
):
    url = reverse("admin:integrations_syncrun_change", args=[half_done_run.pk])

    content = admin_client.get(url).content.decode()

    assert f'data-url="{progress_url(half_done_run)}"' in content
    assert 'data-final="0"' in content
    assert "integrations/run_progress.js" in content
    assert '<span id="run-processed">2</span> z <span id="run-total">4</span>' in content
    assert '<dd id="run-status" data-status="running">w toku</dd>' in content
    assert "HTTP 503 from the shop" in content  # the chunk's error, in the chunk table


def test_run_list_shows_progress_per_run(admin_client, half_done_run):
    content = admin_client.get(reverse("admin:integrations_syncrun_changelist")).content.decode()

    assert "2 / 4" in content
    assert "panel administracyjny" in content


def test_progress_json_needs_a_staff_login(client, half_done_run):
    response = client.get(progress_url(half_done_run))

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_progress_json_needs_view_permission_on_runs(client, half_done_run):
    client.force_login(User.objects.create_user("staff", password="x", is_staff=True))

    response = client.get(progress_url(half_done_run))

    assert response.status_code == 404


def test_runs_cannot_be_added_or_edited_and_active_ones_not_deleted(admin_client, half_done_run):
    add = admin_client.get(reverse("admin:integrations_syncrun_add"))
    delete = admin_client.get(reverse("admin:integrations_syncrun_delete", args=[half_done_run.pk]))

    assert add.status_code == 403
    assert delete.status_code == 403
