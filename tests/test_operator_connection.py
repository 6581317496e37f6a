"""The connection test against the simulator: what it says, what it clears, who may run it."""

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from integrations.engine.connection import check_connection
from integrations.models import Integration

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def connection_url(integration):
    return reverse("admin:integrations_integration_test_connection", args=[integration.pk])


def halt(integration):
    Integration.objects.filter(pk=integration.pk).update(
        halted_at=timezone.now(), last_error="HTTP 401", last_error_at=timezone.now()
    )
    integration.refresh_from_db()


def test_valid_key_passes_records_the_version_and_resumes_a_stopped_sync(shop, make_integration):
    integration = make_integration(shop)
    halt(integration)

    check = check_connection(integration)

    integration.refresh_from_db()
    assert check.ok
    assert check.resumed
    assert check.lines[:2] == ["Sklep odpowiada (PrestaShop 8.1.7).", "Klucz API jest prawidłowy."]
    assert "Klucz może odczytywać i zmieniać stany (stock_availables:" in check.lines[2]
    assert "PUT" in check.lines[2]
    assert check.lines[3] == (
        f"Webservice odpowiada pod adresem {shop.url}api/ (z przepisywaniem adresów URL)."
    )
    assert (integration.halted_at, integration.last_error) == (None, "")
    assert integration.shop_version == "8.1.7"


def test_a_shop_reached_without_url_rewriting_passes_and_says_so(shop, make_integration):
    address = shop.url + "webservice/dispatcher.php"
    integration = make_integration(shop, shop_url=address)

    check = check_connection(integration)

    assert check.ok
    assert check.lines[3] == (
        f"Webservice odpowiada pod adresem {address} (bez przepisywania adresów URL)."
    )


def test_read_only_key_fails_and_names_the_missing_stock_permission(shop, make_integration):
    integration = make_integration(shop, api_key=shop.read_only_key)
    halt(integration)

    check = check_connection(integration)

    integration.refresh_from_db()
    assert not check.ok
    assert "Klucz API nie może zmieniać stanów (PUT na stock_availables)." in check.lines
    assert integration.halted_at is not None  # still stopped: nothing was fixed


def test_disabled_key_is_reported_as_refused_by_the_shop(shop, make_integration):
    integration = make_integration(shop, api_key=shop.disabled_key)

    check = check_connection(integration)

    assert not check.ok
    assert check.lines[0].startswith("Sklep odrzucił klucz API: jest błędny albo wyłączony.")
    assert check.lines[1].startswith("Szczegóły: ")


def test_unreachable_shop_is_reported_as_unreachable(make_integration):
    integration = make_integration()  # a closed local port

    check = check_connection(integration)

    assert not check.ok
    assert check.lines[0] == (
        "Sklep jest nieosiągalny: nie działa albo adres lub sieć są nieprawidłowe."
    )
    assert check.lines[1].startswith("Szczegóły: GET /api/: cannot connect to the shop at ")


def test_admin_button_reports_the_test_in_words_and_resumes_the_sync(
    admin_client, shop, make_integration
):
    integration = make_integration(shop)
    halt(integration)

    response = admin_client.post(connection_url(integration))

    messages = [str(m) for m in get_messages(response.wsgi_request)]
    integration.refresh_from_db()
    assert response.status_code == 302
    assert messages[0].startswith("Test połączenia zakończył się powodzeniem. Sklep odpowiada")
    assert messages[1] == "Zatrzymana synchronizacja tej integracji została wznowiona."
    assert integration.halted_at is None


def test_admin_button_with_a_read_only_key_says_what_is_missing(
    admin_client, shop, make_integration
):
    integration = make_integration(shop, api_key=shop.read_only_key)

    response = admin_client.post(connection_url(integration))

    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Test połączenia nie powiódł się.")
    assert "nie może zmieniać stanów (PUT na stock_availables)" in message


def test_user_who_may_only_view_integrations_gets_403_and_nothing_is_cleared(
    client, make_integration
):
    integration = make_integration()
    halt(integration)
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_integration"))
    client.force_login(user)

    response = client.post(connection_url(integration))

    integration.refresh_from_db()
    assert response.status_code == 403
    assert integration.halted_at is not None
