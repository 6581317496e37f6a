"""manage.py test_connection --integration ID."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from integrations.models import Integration

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def run(*args) -> str:
    out = io.StringIO()
    call_command("test_connection", *args, stdout=out)
    return out.getvalue()


def test_passing_test_prints_each_check_and_resumes_a_stopped_sync(shop, make_integration):
    integration = make_integration(shop, name="Sklep")
    Integration.objects.filter(pk=integration.pk).update(halted_at=timezone.now())

    out = run("--integration", str(integration.pk))

    lines = out.splitlines()
    assert lines[:2] == ["Sklep odpowiada (PrestaShop 8.1.7).", "Klucz API jest prawidłowy."]
    assert "Sklep: test połączenia zakończył się powodzeniem." in out
    assert lines[-1] == "Zatrzymana synchronizacja tej integracji została wznowiona."
    assert Integration.objects.get(pk=integration.pk).halted_at is None


def test_a_key_without_write_permission_fails_with_the_reason(shop, make_integration):
    integration = make_integration(shop, name="Sklep", api_key=shop.read_only_key)
    out = io.StringIO()

    with pytest.raises(CommandError, match="Sklep: test połączenia nie powiódł się"):
        call_command("test_connection", "--integration", str(integration.pk), stdout=out)

    assert "Klucz API nie może zmieniać stanów (PUT na stock_availables)." in out.getvalue()


def test_the_only_integration_is_tested_without_the_option(shop, make_integration):
    make_integration(shop, name="Jedyny")

    assert "Jedyny: test połączenia zakończył się powodzeniem." in run()


def test_a_missing_integration_is_a_clear_error():
    with pytest.raises(CommandError, match="Nie ma integracji o id 404"):
        run("--integration", "404")


def test_with_several_integrations_the_option_is_required(make_integration):
    make_integration()
    make_integration()

    with pytest.raises(CommandError, match="Wybierz integrację opcją --integration ID"):
        run()
