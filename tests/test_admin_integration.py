"""The integration page: the sync button and its permission, the masked key, the estimate,
the connection test, the list's error filter."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from integrations.models import Integration, SyncChunk, SyncRun

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def change_url(integration):
    return reverse("admin:integrations_integration_change", args=[integration.pk])


def sync_url(integration):
    return reverse("admin:integrations_integration_sync", args=[integration.pk])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def linked(make_integration, make_product, make_links):
    integration = make_integration(chunk_size=2)
    products = [make_product() for _ in range(5)]
    make_links(integration, [(product, 100 + n) for n, product in enumerate(products)])
    return integration


def test_sync_button_starts_a_full_run_split_into_chunks_and_says_so_in_polish(
    admin_client, linked
):
    response = admin_client.post(sync_url(linked))

    run = SyncRun.objects.get(integration=linked)
    assert (run.kind, run.trigger, run.total, run.chunks_total) == ("full", "admin", 5, 3)
    assert run.triggered_by.username == "admin"
    assert SyncChunk.objects.filter(run=run).count() == 3
    assert response.status_code == 302
    assert response.url == reverse("admin:integrations_syncrun_change", args=[run.pk])
    [message] = messages_of(response)
    assert message.startswith("Synchronizacja została uruchomiona w tle.")
    assert f'href="{response.url}"' in message


def test_sync_button_joins_the_run_already_in_progress_and_links_to_it(admin_client, linked):
    admin_client.post(sync_url(linked))
    first = SyncRun.objects.get()

    response = admin_client.post(sync_url(linked))

    assert SyncRun.objects.count() == 1
    [_, message] = messages_of(response)
    assert "Synchronizacja tej integracji już trwa." in message
    assert reverse("admin:integrations_syncrun_change", args=[first.pk]) in message


def test_user_without_the_run_sync_permission_gets_403_and_no_run_starts(staff_client, linked):
    client = staff_client("view_integration", "change_integration")

    page = client.get(change_url(linked))
    response = client.post(sync_url(linked))

    assert page.status_code == 200
    assert "Synchronizuj stany" not in page.content.decode()
    assert response.status_code == 403
    assert SyncRun.objects.count() == 0


def test_user_with_the_run_sync_permission_sees_the_button_and_starts_a_run(staff_client, linked):
    client = staff_client("view_integration", "run_sync")

    page = client.get(change_url(linked))
    response = client.post(sync_url(linked))

    assert 'id="sync-button"' in page.content.decode()
    assert "Synchronizuj stany" in page.content.decode()
    assert response.status_code == 302
    assert SyncRun.objects.filter(integration=linked, trigger="admin").count() == 1


def test_sync_url_refuses_get_so_a_link_cannot_start_a_sync(admin_client, linked):
    response = admin_client.get(sync_url(linked))

    assert response.status_code == 405
    assert SyncRun.objects.count() == 0


def test_sync_post_without_csrf_token_is_rejected(linked, admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(sync_url(linked))

    assert response.status_code == 403
    assert SyncRun.objects.count() == 0


def test_sync_of_a_stopped_integration_is_refused_with_the_reason(admin_client, linked):
    Integration.objects.filter(pk=linked.pk).update(
        halted_at="2026-01-01T00:00:00Z", last_error="HTTP 401"
    )

    response = admin_client.post(sync_url(linked))

    assert SyncRun.objects.count() == 0
    [message] = messages_of(response)
    assert message.startswith("Synchronizacja nie została uruchomiona:")
    assert "HTTP 401" in message
    assert response.url == change_url(linked)


def test_page_shows_the_estimate_next_to_the_button(admin_client, linked):
    content = admin_client.get(change_url(linked)).content.decode()

    assert "Produktów do synchronizacji: 5, liczba zadań (paczek): 3" in content
    assert "ostrożny szacunek z limitu zapytań" in content


def test_api_key_is_never_in_the_page_source_and_shown_masked(admin_client, make_integration):
    integration = make_integration(api_key="ABCDEFGHIJKLMNOPQRSTUVWXYZ123456")

    page = admin_client.get(change_url(integration)).content.decode()
    listing = admin_client.get(reverse("admin:integrations_integration_changelist")).content

    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456" not in page
    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZ" not in page
    assert "••••••••3456" in page
    assert b"ABCDEFGHIJKLMNOPQRSTUVWXYZ" not in listing  # nor masked: the list fits the screen


def form_data(integration, **changes):
    data = {
        "name": integration.name,
        "kind": integration.kind,
        "shop_url": integration.shop_url,
        "api_key": "",
        "shop_id": "",
        "mode": integration.mode,
        "interval_minutes": integration.interval_minutes,
        "chunk_size": integration.chunk_size,
        "requests_per_minute": integration.requests_per_minute,
        "max_concurrent_requests": integration.max_concurrent_requests,
        "batch_writes": integration.batch_writes,
        "verify_tls": "on",
        "active": "on",
        # The inline of the shop's order states (none read yet).
        "order_states-TOTAL_FORMS": "0",
        "order_states-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_empty_key_on_edit_keeps_the_stored_key(admin_client, make_integration):
    integration = make_integration(api_key="K" * 32)

    response = admin_client.post(change_url(integration), form_data(integration, name="Nowa"))

    integration.refresh_from_db()
    assert response.status_code == 302
    assert (integration.name, integration.api_key) == ("Nowa", "K" * 32)


def test_typed_key_on_edit_replaces_the_stored_key(admin_client, make_integration):
    integration = make_integration(api_key="K" * 32)

    admin_client.post(change_url(integration), form_data(integration, api_key="N" * 32))

    integration.refresh_from_db()
    assert integration.api_key == "N" * 32


def test_page_shows_what_was_learned_of_multi_row_writes_and_the_switch_turns_them_off(
    admin_client, make_integration
):
    integration = make_integration(api_key="K" * 32, batch_size=200)
    Integration.objects.filter(pk=integration.pk).update(
        batch_support=Integration.BatchSupport.UNSUPPORTED,
        batch_support_reason="Sklep nie przyjmuje wielu wierszy stanów w jednym zapytaniu.",
    )

    page = admin_client.get(change_url(integration)).content.decode()
    response = admin_client.post(
        change_url(integration), form_data(integration, batch_writes="off")
    )

    assert "Zapis wielu wierszy naraz" in page
    assert "przyjmuje tylko jeden wiersz na zapytanie" in page
    assert "Sklep nie przyjmuje wielu wierszy stanów w jednym zapytaniu." in page
    assert "Wierszy na zapytanie zapisu" in page
    assert response.status_code == 302
    integration.refresh_from_db()
    assert (integration.batch_writes, integration.batch_size) == ("off", 200)


def test_new_integration_needs_a_key(admin_client, make_integration):
    template = make_integration()
    data = form_data(template, name="Druga")

    response = admin_client.post(reverse("admin:integrations_integration_add"), data)

    assert response.status_code == 200
    assert "Wpisz klucz API sklepu." in response.content.decode()
    assert not Integration.objects.filter(name="Druga").exists()


def result_list(response) -> str:
    content = response.content.decode()
    return content[content.index('id="result_list"') :]


def test_list_filter_shows_only_halted_integrations(admin_client, make_integration):
    make_integration(name="Sklep-ALFA")
    make_integration(name="Sklep-BETA", halted_at="2026-01-01T00:00:00Z", last_error="401")
    url = reverse("admin:integrations_integration_changelist")

    # The list only: every page's banner names the stopped integration (test_alerts.py).
    halted = result_list(admin_client.get(url, {"error_state": "halted"}))
    healthy = result_list(admin_client.get(url, {"error_state": "ok"}))

    assert "Sklep-BETA" in halted
    assert "Sklep-ALFA" not in halted
    assert "Sklep-ALFA" in healthy
    assert "Sklep-BETA" not in healthy


DRAIN = "integrations.tasks.drain_task"


@pytest.mark.parametrize(
    ("before", "change"),
    [
        ({"active": False}, {}),
        ({"mode": "disabled"}, {}),
        ({"mode": "prestashop_to_local"}, {}),
    ],
    ids=["re-enabled", "disabled-to-ledger", "shop-to-ledger"],
)
def test_an_integration_that_comes_back_sends_its_waiting_changes_on_the_live_queue(
    admin_client, redis_broker, linked, django_capture_on_commit_callbacks, before, change
):
    from tests.test_operator_failed_tasks import queued_messages

    Integration.objects.filter(pk=linked.pk).update(**before)
    linked.links.update(dirty=True)
    linked.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            change_url(linked), form_data(linked, mode="local_to_presta", **change), follow=True
        )

    assert queued_messages(redis_broker, "integrations_live") == [(DRAIN, f"({linked.pk},)")]
    assert queued_messages(redis_broker, "integrations") == []
    assert "Zmiany, które czekały na tę integrację, są właśnie wysyłane do sklepu." in (
        messages_of(response)
    )


def test_an_edit_that_changes_no_sync_state_sends_no_drain(
    admin_client, redis_broker, linked, django_capture_on_commit_callbacks
):
    from tests.test_operator_failed_tasks import queued_messages

    linked.links.update(dirty=True)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(change_url(linked), form_data(linked, name="Nowa nazwa"))

    assert queued_messages(redis_broker) == []
