"""The shops' API keys encrypted at rest: the column, rotation, and a key nothing opens."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from integrations import encryption
from integrations.engine import drain, reports
from integrations.models import Integration, StockReport
from tests.test_admin_integration import change_url, form_data, messages_of

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

PLAIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"
PLAIN_COLUMN = [("integrations", "0005_limiter_state")]
ENCRYPTED = [("integrations", "0011_encrypted_key")]
OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))
UNREADABLE = "Zapisanego klucza API nie da się odszyfrować"


def stored_row(integration) -> dict:
    """The integration's row as the database holds it (every column, no model in between)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM integrations_integration WHERE id = %s", [integration.pk])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def ciphertext(integration) -> str:
    return Integration.objects.get(pk=integration.pk).encrypted_api_key


def lock_with_another_key(integration) -> None:
    """Store the key encrypted with a key the settings do not hold (a lost or wrong key)."""
    token = Fernet(OTHER).encrypt(PLAIN.encode()).decode()
    Integration.objects.filter(pk=integration.pk).update(encrypted_api_key=token)


def test_the_database_holds_only_ciphertext_and_the_code_reads_the_plain_key(make_integration):
    integration = make_integration(api_key=PLAIN)

    row = stored_row(integration)

    assert "api_key" not in row
    assert not any(PLAIN in str(value) for value in row.values())
    assert not any(PLAIN[:8] in str(value) for value in row.values())
    assert Integration.objects.get(pk=integration.pk).api_key == PLAIN


def test_the_first_key_encrypts_and_without_keys_one_derived_from_secret_key_does(
    make_integration, settings
):
    settings.INVSYNC_ENCRYPTION_KEYS = [NEW, OLD]
    dedicated = make_integration(api_key=PLAIN)
    settings.INVSYNC_ENCRYPTION_KEYS = []
    derived = make_integration(api_key=PLAIN)

    assert Fernet(NEW).decrypt(ciphertext(dedicated).encode()).decode() == PLAIN
    by_secret = Fernet(encryption.derived_key(settings.SECRET_KEY))
    assert by_secret.decrypt(ciphertext(derived).encode()).decode() == PLAIN


def test_rotation_reencrypts_every_key_so_the_old_key_can_go(make_integration, settings):
    settings.INVSYNC_ENCRYPTION_KEYS = [OLD]
    integrations = [make_integration(api_key=f"{PLAIN[:-1]}{n}") for n in range(3)]
    before = [ciphertext(integration) for integration in integrations]
    settings.INVSYNC_ENCRYPTION_KEYS = [NEW, OLD]  # step 1: the new key first

    call_command("rotate_keys")  # step 2
    settings.INVSYNC_ENCRYPTION_KEYS = [NEW]  # step 3: the old key removed

    after = [ciphertext(integration) for integration in integrations]
    assert all(old != new for old, new in zip(before, after, strict=True))
    assert [Integration.objects.get(pk=i.pk).api_key for i in integrations] == [
        f"{PLAIN[:-1]}{n}" for n in range(3)
    ]
    assert [Fernet(NEW).decrypt(token.encode()).decode()[-1] for token in after] == ["0", "1", "2"]


def test_rotation_moves_keys_from_the_secret_key_default_to_a_dedicated_key(
    make_integration, settings
):
    settings.INVSYNC_ENCRYPTION_KEYS = []
    integration = make_integration(api_key=PLAIN)
    settings.INVSYNC_ENCRYPTION_KEYS = [NEW]

    call_command("rotate_keys")

    assert Fernet(NEW).decrypt(ciphertext(integration).encode()).decode() == PLAIN


def test_rotation_names_a_key_it_cannot_open_leaves_it_and_rotates_the_others(
    make_integration, settings, capsys
):
    settings.INVSYNC_ENCRYPTION_KEYS = [NEW]
    readable = make_integration(name="Sklep A", api_key=PLAIN)
    locked = make_integration(name="Sklep B", api_key=PLAIN)
    lock_with_another_key(locked)
    kept = ciphertext(locked)

    with pytest.raises(CommandError) as refused:
        call_command("rotate_keys")

    out = capsys.readouterr().out
    assert "Klucze API zaszyfrowane ponownie pierwszym kluczem szyfrującym: 1." in out
    assert "Sklep B" in str(refused.value)
    assert "Sklep A" not in str(refused.value)
    assert PLAIN not in str(refused.value) + out
    assert ciphertext(locked) == kept
    assert Integration.objects.get(pk=readable.pk).api_key == PLAIN


def test_an_unreadable_key_is_shown_as_such_in_the_admin_without_an_error(
    admin_client, make_integration
):
    integration = make_integration(api_key=PLAIN)
    lock_with_another_key(integration)

    page = admin_client.get(change_url(integration))
    listing = admin_client.get(reverse("admin:integrations_integration_changelist"))

    assert (page.status_code, listing.status_code) == (200, 200)
    # The list has no key column (it fits 1366 px); the change page says what is wrong.
    assert "nie da się odszyfrować: sprawdź INVSYNC_ENCRYPTION_KEYS" in page.content.decode()
    for content in (page.content.decode(), listing.content.decode()):
        assert PLAIN not in content


def test_the_connection_test_with_an_unreadable_key_says_why_and_stops_the_sync(
    admin_client, make_integration
):
    integration = make_integration(api_key=PLAIN)
    lock_with_another_key(integration)
    url = reverse("admin:integrations_integration_test_connection", args=[integration.pk])

    response = admin_client.post(url)

    integration.refresh_from_db()
    [message] = messages_of(response)
    assert response.status_code == 302
    assert message.startswith(f"Test połączenia nie powiódł się. {UNREADABLE}")
    assert integration.halted_at is not None
    assert integration.last_error.startswith(UNREADABLE)


def test_the_discrepancy_report_with_an_unreadable_key_says_why(admin_client, make_integration):
    integration = make_integration(api_key=PLAIN)
    lock_with_another_key(integration)
    url = reverse("admin:integrations_integration_discrepancies", args=[integration.pk])

    admin_client.post(url)
    report = reports.run_report(StockReport.objects.get(integration=integration).pk)
    page = reverse("admin:integrations_stockreport_change", args=[report.pk])

    assert report.status == StockReport.Status.FAILED
    assert UNREADABLE in admin_client.get(page).content.decode()


def test_saving_with_an_unreadable_key_keeps_it_and_a_typed_key_replaces_it(
    admin_client, make_integration
):
    integration = make_integration(api_key=PLAIN)
    lock_with_another_key(integration)
    kept = ciphertext(integration)

    first = admin_client.post(change_url(integration), form_data(integration, name="Nowa"))
    unchanged = ciphertext(integration)
    second = admin_client.post(change_url(integration), form_data(integration, api_key="N" * 32))

    assert (first.status_code, second.status_code) == (302, 302)
    assert unchanged == kept
    assert Integration.objects.get(pk=integration.pk).api_key == "N" * 32


def test_a_drain_with_an_unreadable_key_stops_the_integration_and_keeps_the_marks(
    make_integration, make_product, make_links
):
    integration = make_integration(api_key=PLAIN)
    [link] = make_links(integration, [(make_product(), 7)], dirty=True)
    lock_with_another_key(integration)

    with pytest.raises(encryption.ApiKeyUnreadable):
        drain.drain(integration.pk)

    integration.refresh_from_db()
    link.refresh_from_db()
    assert integration.last_error.startswith(UNREADABLE)
    assert integration.halted_at is not None
    assert (link.dirty, link.claimed_by) == (True, "")


def migrate(target):
    """Migrate to target; returns the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def migrate_to_latest() -> None:
    """Every app back at its newest migration (what the rest of the suite expects)."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_keys_already_stored_and_back():
    old = migrate(PLAIN_COLUMN).get_model("integrations", "Integration")
    old.objects.create(name="Stary", shop_url="https://shop.example/", api_key=PLAIN)

    migrate(ENCRYPTED)
    migrate_to_latest()
    encrypted = Integration.objects.get(name="Stary")
    back = migrate(PLAIN_COLUMN).get_model("integrations", "Integration")
    restored = back.objects.get(name="Stary").api_key
    migrate_to_latest()

    assert encrypted.api_key == PLAIN
    assert not any(PLAIN in str(value) for value in stored_row(encrypted).values())
    assert restored == PLAIN
