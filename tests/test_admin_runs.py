"""Sync runs in the admin: the list, the page with live progress, its JSON and its chunks."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from integrations import tasks
from integrations.models import SyncChunk, SyncRun
from tests.test_browser import chromium  # noqa: F401 (the browser fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

# Session, user, run, chunks: one query for all chunks, never one per chunk.
QUERIES_PER_POLL = 4


@pytest.fixture
def half_done_run(make_integration, make_product, make_links):
    """A running full sync of 4 links in 2 chunks: the first done 20 s after the start."""
    integration = make_integration(chunk_size=2)
    make_links(integration, [(make_product(), 10 + n) for n in range(4)])
    run = tasks.start_full_sync(integration, trigger="admin")
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


@pytest.fixture
def make_running_run(make_integration):
    """A running run of `chunks` chunks of 100 products, made by hand (nothing is enqueued)."""

    def make(chunks: int) -> SyncRun:
        run = SyncRun.objects.create(
            integration=make_integration(),
            kind="full",
            trigger="admin",
            status="running",
            started_at=timezone.now(),
            total=100 * chunks,
            chunks_total=chunks,
        )
        SyncChunk.objects.bulk_create(SyncChunk(run=run, index=n) for n in range(chunks))
        return run

    return make


def progress_url(run):
    return reverse("admin:integrations_syncrun_progress", args=[run.pk])


def run_url(run):
    return reverse("admin:integrations_syncrun_change", args=[run.pk])


def cancel_url(run):
    return reverse("admin:integrations_syncrun_cancel", args=[run.pk])


def viewer_client(client, *codenames):
    """A staff client that may view runs, plus these integrations permissions."""
    from django.contrib.auth.models import Permission

    user = User.objects.create_user("operator", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="integrations", codename__in=["view_syncrun", *codenames]
        )
    )
    client.force_login(user)
    return client


def finish_chunk_by_hand(run, index, *, processed, changed=0, failed=0, error=""):
    """What a chunk task records when its chunk ends, without the shop."""
    SyncChunk.objects.filter(run=run, index=index).update(
        status="failed" if error else "done",
        attempts=1,
        processed=processed,
        changed=changed,
        failed=failed,
        error=error,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    SyncRun.objects.filter(pk=run.pk).update(
        processed=F("processed") + processed, chunks_done=F("chunks_done") + 1
    )


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


def test_progress_json_lists_every_chunk_with_its_status_counts_and_error(
    admin_client, half_done_run
):
    chunks = admin_client.get(progress_url(half_done_run)).json()["chunks"]

    assert [
        (c["index"], c["status"], c["status_label"], c["attempts"], c["processed"], c["changed"])
        for c in chunks
    ] == [(0, "done", "zakończony", 0, 2, 1), (1, "running", "w toku", 2, 0, 0)]
    assert [(c["failed"], c["error"]) for c in chunks] == [(0, ""), (0, "HTTP 503 from the shop")]
    assert set(chunks[0]) == {
        "index",
        "status",
        "status_label",
        "attempts",
        "processed",
        "changed",
        "failed",
        "requests",
        "batch_size",
        "error",
        "started_at",
        "finished_at",
        "display",  # the counts as the page writes them ("1 689")
    }
    assert [(c["requests"], c["batch_size"]) for c in chunks] == [(0, "—"), (0, "—")]


def test_progress_json_follows_chunks_as_they_finish(admin_client, make_running_run):
    run = make_running_run(3)
    before = admin_client.get(progress_url(run)).json()

    finish_chunk_by_hand(run, 0, processed=100, changed=4)
    finish_chunk_by_hand(run, 2, processed=100, failed=100, error="Shop unreachable")
    after = admin_client.get(progress_url(run)).json()

    assert [c["status_label"] for c in before["chunks"]] == ["w kolejce"] * 3
    assert [c["status_label"] for c in after["chunks"]] == ["zakończony", "w kolejce", "nieudany"]
    assert [c["processed"] for c in after["chunks"]] == [100, 0, 100]
    assert after["chunks"][2]["error"] == "Shop unreachable"
    assert (after["processed"], after["chunks_done"], after["status_label"]) == (200, 2, "w toku")
    assert before["chunks"][0]["finished_at"] == "\u2014"
    assert after["chunks"][0]["finished_at"].count(":") == 2  # a time, H:i:s


@pytest.mark.parametrize("chunks", [3, 30])
def test_progress_json_takes_the_same_few_queries_for_3_or_30_chunks(
    admin_client, make_running_run, django_assert_max_num_queries, chunks
):
    run = make_running_run(chunks)

    with django_assert_max_num_queries(QUERIES_PER_POLL):
        data = admin_client.get(progress_url(run)).json()

    assert len(data["chunks"]) == chunks


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


def test_run_page_renders_each_chunk_row_and_live_field_for_the_script_to_update(
    admin_client, half_done_run
):
    content = admin_client.get(run_url(half_done_run)).content.decode()

    assert '<table id="run-chunks">' in content
    assert '<tr data-chunk="0" data-status="done">' in content
    assert '<tr data-chunk="1" data-status="running">' in content
    assert '<td data-field="status_label">zakończony</td>' in content
    assert '<td data-field="status_label">w toku</td>' in content
    assert '<td data-field="error">HTTP 503 from the shop</td>' in content
    assert '<td data-field="attempts">2</td>' in content
    for element_id in ("run-changed", "run-failed", "run-chunks-done", "run-requests"):
        assert f'id="{element_id}"' in content


def test_run_page_shows_each_live_value_once_so_no_stale_copy_contradicts_it(
    admin_client, half_done_run
):
    content = admin_client.get(run_url(half_done_run)).content.decode()

    # Django renders a read-only field as <div class="form-row field-NAME">: none of these
    # may appear beside the progress panel, whose values the script keeps current.
    for name in ("status", "processed", "changed", "failed", "total", "requests", "started_at"):
        assert f"field-{name}" not in content
    assert "field-triggered_by" in content
    assert "field-log_link" in content
    assert content.count("w toku") == 2  # the run's status in the panel and chunk 1's row


def test_run_page_labels_the_failed_count_apart_from_the_failed_status(admin_client, half_done_run):
    page = admin_client.get(reverse("admin:integrations_syncrun_change", args=[half_done_run.pk]))
    listing = admin_client.get(reverse("admin:integrations_syncrun_changelist"))

    content, listed = page.content.decode(), listing.content.decode()
    assert "<th>Nieudane</th>" in content  # the chunk table's count of failed products
    assert "Nieudany" not in content
    column = listed[listed.index("column-failed") :]
    assert column[: column.index("</th>")].count(">Nieudane<") == 1
    assert str(SyncRun.Status.FAILED.label) == "nieudany"  # the status keeps its own msgid


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


def run_in_own_thread(function, *args, **kwargs):
    """Call function in a thread with its own connection: Playwright's loop forbids the ORM here."""
    errors = []

    def target():
        try:
            function(*args, **kwargs)
        except Exception as exc:  # re-raised in the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def chunk_cells(page, index: int) -> dict:
    """The text of every cell of one chunk row, by field."""
    row = f'#run-chunks tr[data-chunk="{index}"]'
    return {
        cell.get_attribute("data-field"): cell.inner_text()
        for cell in page.query_selector_all(f"{row} td[data-field]")
    }


@pytest.mark.integration
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_run_page_script_shows_chunks_finishing_without_a_reload(
    live_server,
    admin_user,
    settings,
    make_running_run,
    chromium,  # noqa: F811 (the fixture imported from test_browser)
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    run = make_running_run(3)

    with chromium() as page:
        page.goto(f"{live_server.url}{run_url(run)}")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        page.wait_for_selector('#run-chunks tr[data-chunk="2"]')
        before = chunk_cells(page, 2)
        page.evaluate("window.__same_page = true")  # gone if the page reloads
        run_in_own_thread(finish_chunk_by_hand, run, 0, processed=100, changed=4)
        run_in_own_thread(finish_chunk_by_hand, run, 2, processed=100, failed=100, error="Boom")
        page.wait_for_selector('#run-chunks tr[data-chunk="2"][data-status="failed"]')
        page.wait_for_selector('#run-chunks tr[data-chunk="0"][data-status="done"]')
        after = [chunk_cells(page, index) for index in range(3)]
        panel = [page.inner_text(f"#run-{name}") for name in ("status", "processed", "chunks-done")]
        same_page = page.evaluate("window.__same_page === true")

    assert (before["status_label"], before["error"], before["finished_at"]) == (
        "w kolejce",
        "\u2014",
        "\u2014",
    )
    assert [row["status_label"] for row in after] == ["zakończony", "w kolejce", "nieudany"]
    assert [(row["processed"], row["changed"], row["failed"]) for row in after] == [
        ("100", "4", "0"),
        ("0", "0", "0"),
        ("100", "0", "100"),
    ]
    assert (after[2]["error"], after[2]["attempts"]) == ("Boom", "1")
    assert after[2]["finished_at"].count(":") == 2
    assert panel == ["w toku", "200", "2"]
    assert same_page


def test_run_page_offers_the_cancel_button_only_to_those_who_may_sync(client, half_done_run):
    viewer = viewer_client(client).get(run_url(half_done_run)).content.decode()
    client.logout()
    operator = viewer_client_with_sync(client).get(run_url(half_done_run)).content.decode()

    assert 'id="cancel-run-button"' not in viewer
    assert 'id="cancel-run-button"' in operator
    assert "Anuluj synchronizację" in operator
    assert f'action="{cancel_url(half_done_run)}"' in operator


def viewer_client_with_sync(client):
    User.objects.filter(username="operator").delete()
    return viewer_client(client, "run_sync")


def test_cancel_button_drops_the_waiting_chunks_and_says_the_running_one_stops(
    admin_client, half_done_run
):
    response = admin_client.post(cancel_url(half_done_run), follow=True)

    half_done_run.refresh_from_db()
    statuses = dict(half_done_run.chunks.values_list("index", "status"))
    assert response.redirect_chain == [(run_url(half_done_run), 302)]
    assert half_done_run.cancelled_by.username == "admin"
    # Chunk 1 was running: the run ends once it stops; nothing was waiting to drop.
    assert (half_done_run.status, statuses) == ("running", {0: "done", 1: "running"})
    page = response.content.decode()
    assert "jest anulowany; paczki, które nie zostaną wykonane: 0" in page
    assert "anulowanie w toku" in page
    assert 'id="cancel-run-button"' not in page


def test_cancel_needs_a_post_the_sync_permission_and_an_active_run(client, half_done_run):
    viewer = viewer_client(client)
    get = viewer.get(cancel_url(half_done_run))
    refused = viewer.post(cancel_url(half_done_run))
    half_done_run.refresh_from_db()
    assert (get.status_code, refused.status_code) == (405, 403)
    assert half_done_run.cancelled_at is None

    client.logout()
    SyncRun.objects.filter(pk=half_done_run.pk).update(status="done")
    response = viewer_client_with_sync(client).post(cancel_url(half_done_run), follow=True)
    assert f"Przebieg #{half_done_run.pk} już się zakończył." in response.content.decode()
    assert SyncRun.objects.get(pk=half_done_run.pk).cancelled_at is None
