"""A stopped integration is loud (issue 15): every admin page shows it, and the integration's
addresses hear of a stop, a run ending with errors and a failure left for an hour, once each,
by e-mail (Django's locmem backend here) and by a webhook (a local HTTP server)."""

import json
import os
import ssl
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses
from django.urls import reverse
from django.utils import timezone

from integrations import tasks
from integrations.engine import failures
from integrations.models import Alert, FailedTask, ProductLink, SyncRun
from integrations.notify import delivery, events
from integrations.prestashop import PrestaShopError
from tests.test_admin_integration import form_data
from tests.test_client_helpers import API, KEY, SHOP, XML, client, error_xml

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

STOCK = API + "stock_availables"
TLS_FAILURE = requests.exceptions.SSLError(
    ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] self-signed certificate")
)
# One reply per kind of stop, and the start of the Polish sentence saying what to check.
STOPS = [
    pytest.param(
        {"status": 401, "content_type": XML, "body": error_xml((20, "not active"))},
        "Sklep odrzucił klucz API: jest błędny albo wyłączony. Sprawdź w panelu sklepu",
        id="401-wrong-key",
    ),
    pytest.param(
        {"status": 403, "content_type": XML, "body": error_xml((21, "No permission"))},
        "Kluczowi API brakuje uprawnienia",
        id="403-webservice-permission",
    ),
    pytest.param(
        {
            "status": 403,
            "content_type": "text/html",
            "body": "<html><title>406 Not Acceptable</title>mod_security</html>",
        },
        "Zapora przed sklepem zablokowała zapytanie",
        id="403-mod-security",
    ),
    pytest.param(
        {
            "status": 403,
            "content_type": "text/html",
            "body": "<title>Attention Required! | Cloudflare</title>",
        },
        "Zapora przed sklepem zablokowała zapytanie",
        id="403-cloudflare",
    ),
    pytest.param(
        {"status": 301, "headers": {"Location": "https://www.shop.example/api/stock_availables"}},
        "Sklep przekierowuje webservice pod adres https://www.shop.example/api/stock_availables.",
        id="301-redirect",
    ),
    pytest.param(
        {"status": 404, "content_type": "text/html", "body": "<title>Not Found</title>"},
        "Pod tym adresem nie ma webservice'u (HTTP 404)",
        id="404-address",
    ),
    pytest.param(
        {"status": 414}, "Serwer sklepu odrzucił zbyt długie zapytanie (HTTP 414", id="414"
    ),
    pytest.param(
        {"status": 431}, "Serwer sklepu odrzucił zbyt długie zapytanie (HTTP 431", id="431"
    ),
    pytest.param(
        {"body": TLS_FAILURE}, "Nie udało się zweryfikować certyfikatu TLS sklepu", id="tls"
    ),
]


def shop_failure(reply: dict) -> PrestaShopError:
    """What the client raises for this reply of the shop's stock endpoint."""
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, STOCK, **reply)
        with pytest.raises(PrestaShopError) as caught:
            client().fetch_stock([7])
    return caught.value


@pytest.fixture
def stopped_shop(make_integration):
    """stop(reply) -> the integration, stopped by the engine as it is after this reply."""

    def stop(reply, **fields):
        integration = make_integration(
            name="Sklep", shop_url=SHOP, api_key=KEY, notify_emails="szef@sklep.pl", **fields
        )
        failures.record_abort(integration, [], shop_failure(reply))
        integration.refresh_from_db()
        return integration

    return stop


@pytest.mark.parametrize(("reply", "sentence"), STOPS)
def test_each_kind_of_stop_says_what_to_check_and_is_mailed_once(
    stopped_shop, mailoutbox, reply, sentence
):
    integration = stopped_shop(reply)

    tasks.alerts_task()
    tasks.alerts_task()  # the next minute: nothing new, nothing sent again

    assert integration.halted_at is not None
    assert integration.last_error.startswith(sentence)
    assert KEY not in integration.last_error
    [mail] = mailoutbox
    assert mail.to == ["szef@sklep.pl"]
    assert mail.subject == "invsync: Sklep: synchronizacja zatrzymana"
    assert f"Synchronizacja integracji Sklep została zatrzymana: {sentence}" in mail.body
    assert "naciśnij „Testuj połączenie”" in mail.body
    alert = Alert.objects.get()
    assert (alert.kind, alert.status, alert.recipients) == ("stop", "sent", "e-mail: szef@sklep.pl")


def test_html_instead_of_xml_is_retried_not_a_stop_and_its_reason_says_what_to_check(
    make_integration,
):
    error = shop_failure({"status": 200, "content_type": "text/html", "body": "<p>Przerwa</p>"})
    integration = make_integration(shop_url=SHOP, api_key=KEY)

    failures.record_abort(integration, [], error)

    integration.refresh_from_db()
    assert integration.halted_at is None
    assert str(error.kind) == "not_webservice"
    assert failures.describe_failure(error).startswith(
        "Odpowiedź nie pochodzi z webservice'u sklepu"
    )
    assert "otwórz w przeglądarce adres sklepu z dopisanym /api/" in failures.describe_failure(
        error
    )


def test_a_new_stop_after_a_resume_is_told_again(stopped_shop, mailoutbox):
    integration = stopped_shop(STOPS[0].values[0])
    tasks.alerts_task()
    later = integration.halted_at + timedelta(hours=2)
    type(integration).objects.filter(pk=integration.pk).update(halted_at=later)

    tasks.alerts_task()

    assert len(mailoutbox) == 2
    assert Alert.objects.filter(kind="stop").count() == 2


def test_every_admin_page_shows_the_stopped_integration_with_its_reason(stopped_shop, admin_client):
    stopped_shop(STOPS[2].values[0])  # a firewall

    pages = [
        reverse("admin:index"),
        reverse("admin:warehouse_product_changelist"),
        reverse("admin:integrations_syncrun_changelist"),
    ]
    contents = [admin_client.get(page).content.decode() for page in pages]

    for content in contents:
        assert 'id="stopped-banner"' in content
        assert "Synchronizacja integracji Sklep jest zatrzymana." in content
        assert "Zapora przed sklepem zablokowała zapytanie" in content


def test_no_banner_without_a_stop_or_for_a_user_who_cannot_see_the_shops(
    stopped_shop, make_integration, admin_client, staff_client
):
    make_integration(name="Działa")
    assert 'id="stopped-banner"' not in admin_client.get(reverse("admin:index")).content.decode()

    stopped_shop(STOPS[0].values[0])
    page = staff_client("view_syncrun").get(reverse("admin:index")).content.decode()

    assert 'id="stopped-banner"' not in page


@pytest.fixture
def webhook():
    """A local HTTP server on 127.0.0.1 recording the JSON POSTed to it; .status sets its reply."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(server.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.status, server.received = 204, received
    server.url = f"http://127.0.0.1:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def finished_run(integration, status, **values) -> SyncRun:
    return SyncRun.objects.create(
        integration=integration,
        kind="full",
        trigger="schedule",
        status=status,
        finished_at=timezone.now(),
        **values,
    )


def test_a_run_ending_with_errors_is_posted_to_the_webhook_once(
    make_integration, webhook, mailoutbox, settings
):
    settings.INVSYNC_SITE_URL = "https://stany.example.pl"
    integration = make_integration(name="Sklep", notify_webhook_url=webhook.url)
    run = finished_run(integration, "done_with_errors", total=10, processed=10, failed=2)
    finished_run(integration, "done", total=10, processed=10)  # a clean run is not news

    tasks.alerts_task()
    tasks.alerts_task()

    [body] = webhook.received
    assert body["subject"] == "invsync: Sklep: przebieg zakończony z błędami"
    assert body["integration"] == {"id": integration.pk, "name": "Sklep"}
    assert body["url"] == (
        f"https://stany.example.pl/admin/integrations/integration/{integration.pk}/change/"
    )
    [alert] = body["alerts"]
    assert (alert["kind"], alert["event"]) == ("run_errors", f"run:{run.pk}")
    assert alert["text"].startswith(f"Przebieg nr {run.pk} integracji Sklep zakończył się:")
    assert "przetworzono 10 z 10, błędów: 2" in alert["text"]
    assert mailoutbox == []  # no e-mail address configured
    assert Alert.objects.get().recipients == f"webhook: {webhook.url}"


def test_failures_older_than_an_hour_are_told_once_and_fresh_ones_not_yet(
    make_integration, make_product, make_links, mailoutbox, settings
):
    settings.INVSYNC_ALERT_EMAILS = ["admin@firma.pl"]
    integration = make_integration(name="Sklep", notify_emails="szef@sklep.pl\nmagazyn@sklep.pl")
    old, fresh, _fine = make_links(integration, [(make_product(f"P-{n}"), n + 1) for n in range(3)])
    now = timezone.now()
    failing = {
        "state": ProductLink.State.FAILING,
        "dirty": True,
        "last_error": "Sklep nie odpowiada.",
    }
    ProductLink.objects.filter(pk=old.pk).update(dirty_since=now - timedelta(hours=2), **failing)
    ProductLink.objects.filter(pk=fresh.pk).update(
        dirty_since=now - timedelta(minutes=5), **failing
    )
    FailedTask.objects.create(
        task_id="t-1",
        task_name="integrations.tasks.drain_task",
        task_args=f"({integration.pk},)",
        error="ShopTemporaryError: boom",
        failed_at=now - timedelta(hours=3),
    )

    tasks.alerts_task()
    tasks.alerts_task()

    [mail] = mailoutbox
    assert mail.to == ["szef@sklep.pl", "magazyn@sklep.pl", "admin@firma.pl"]
    assert mail.subject == "invsync: Sklep: błąd nierozwiązany od godziny (powiadomień: 2)"
    assert "Produkt P-0 nie synchronizuje się od" in mail.body
    assert "Sklep nie odpowiada." in mail.body
    assert "Zadanie drain_task nie powiodło się o" in mail.body
    assert "P-1" not in mail.body
    assert "P-2" not in mail.body
    assert set(Alert.objects.values_list("key", flat=True)) == {
        f"link:{old.pk}:{int((now - timedelta(hours=2)).timestamp())}",
        "task:t-1",
    }


def test_a_webhook_that_fails_is_tried_each_minute_then_given_up(
    make_integration, webhook, settings
):
    settings.INVSYNC_ALERT_ATTEMPTS = 2
    webhook.status = 500
    integration = make_integration(notify_webhook_url=webhook.url)
    finished_run(integration, "failed", error="Zadanie zaginęło.")

    tasks.alerts_task()
    first = Alert.objects.get()
    tasks.alerts_task()
    tasks.alerts_task()  # given up: not sent a third time

    alert = Alert.objects.get()
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.error == "webhook: adres odpowiedział HTTP 500"
    assert (alert.status, alert.attempts) == ("failed", 2)
    assert len(webhook.received) == 2


def test_an_integration_with_no_address_records_the_event_and_sends_nothing(
    make_integration, mailoutbox
):
    integration = make_integration()
    finished_run(integration, "failed")

    assert events.collect() == 1
    assert delivery.send_pending() == 1

    assert Alert.objects.get().status == Alert.Status.NO_RECIPIENTS
    assert mailoutbox == []


def test_without_a_mail_server_the_alert_says_it_only_reached_the_log(
    make_integration, webhook, settings, capsys
):
    settings.EMAIL_BACKEND = delivery.CONSOLE_BACKEND
    mail_only = make_integration(name="Sklep A", notify_emails="szef@sklep.pl")
    both = make_integration(
        name="Sklep B", notify_emails="szef@sklep.pl", notify_webhook_url=webhook.url
    )
    finished_run(mail_only, "failed")
    finished_run(both, "failed")

    tasks.alerts_task()

    logged = Alert.objects.get(integration=mail_only)
    assert (logged.status, logged.recipients) == ("logged", "e-mail: szef@sklep.pl")
    assert logged.get_status_display() == "tylko w logu workera (brak EMAIL_HOST)"
    assert logged.error == "e-mail: EMAIL_HOST nie jest ustawiony, zapisano tylko w logu workera"
    sent = Alert.objects.get(integration=both)
    assert (sent.status, sent.recipients) == ("sent", f"webhook: {webhook.url}")
    assert "To: szef@sklep.pl" in capsys.readouterr().out  # the console backend's log


def test_the_admin_refuses_a_malformed_notification_address(admin_client, make_integration):
    integration = make_integration()
    url = reverse("admin:integrations_integration_change", args=[integration.pk])

    data = form_data(integration, notify_emails="szef@sklep.pl, nie-adres")
    content = admin_client.post(url, data).content.decode()

    assert "Wprowadź poprawny adres email." in content


def mail_settings(**env) -> subprocess.CompletedProcess:
    """invsync.settings' mail values, imported in a fresh interpreter with this environment."""
    code = (
        "import json, invsync.settings as s; print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_PORT, "
        "s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.EMAIL_HOST_PASSWORD]))"
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("EMAIL_")}
    environment.update({"DEBUG": "0", "INVSYNC_INSECURE_DEV_KEY": "1", **env})
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False
    )


def test_without_a_mail_server_mail_only_goes_to_the_log_and_with_one_over_starttls(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("tajne\n")

    bare = json.loads(mail_settings().stdout)
    smtp = json.loads(
        mail_settings(EMAIL_HOST="smtp.example.pl", EMAIL_HOST_PASSWORD_FILE=str(secret)).stdout
    )
    ssl_only = json.loads(mail_settings(EMAIL_HOST="smtp.example.pl", EMAIL_USE_SSL="1").stdout)

    assert bare == ["django.core.mail.backends.console.EmailBackend", 587, True, False, ""]
    assert smtp == ["django.core.mail.backends.smtp.EmailBackend", 587, True, False, "tajne"]
    assert ssl_only[1:4] == [465, False, True]


def test_starttls_and_ssl_together_are_refused_at_start():
    done = mail_settings(EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")

    assert done.returncode != 0
    assert "Set only one of EMAIL_USE_TLS (port 587) and EMAIL_USE_SSL (465)." in done.stderr


def test_alerts_are_forgotten_after_the_log_retention_and_a_lasting_stop_told_again(
    stopped_shop, mailoutbox, settings
):
    settings.INVSYNC_LOG_RETENTION_DAYS = 30
    stopped_shop(STOPS[0].values[0])
    tasks.alerts_task()
    Alert.objects.update(created_at=timezone.now() - timedelta(days=31))

    outcome = tasks.alerts_task()

    assert (outcome["pruned"], outcome["new"]) == (1, 1)
    assert len(mailoutbox) == 2


def test_pruning_keeps_old_alerts_still_waiting_or_being_sent(make_integration, settings):
    settings.INVSYNC_LOG_RETENTION_DAYS = 30
    integration = make_integration()
    for status in Alert.Status.values:
        Alert.objects.create(
            integration=integration, kind=Alert.Kind.STOP, key=status, text=status, status=status
        )
    Alert.objects.update(created_at=timezone.now() - timedelta(days=31))

    assert events.prune() == len(Alert.Status.values) - 2
    assert set(Alert.objects.values_list("status", flat=True)) == {"pending", "sending"}
