"""The admin speaks Polish unless the operator switches; third-party sections are Polish too;
the operator's commands stay quiet and show a halted integration."""

import io
import logging
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_results.models import TaskResult

from invsync.logconfig import process_log_level
from tests.test_commands_queue_status import file_broker

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

LOGIN = "/admin/login/"


def test_an_english_browser_still_gets_the_polish_admin(client):
    response = client.get(LOGIN, headers={"accept-language": "en-US,en;q=0.9"})

    page = response.content.decode()
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "pl"
    assert '<html lang="pl"' in page
    assert "Administracja invsync" in page
    assert "Zaloguj się" in page
    assert "Log in" not in page


def test_the_language_cookie_switches_the_admin_to_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(LOGIN, headers={"accept-language": "pl"}).content.decode()

    assert '<html lang="en"' in page
    assert "invsync administration" in page
    assert "Log in" in page


def test_a_cookie_naming_a_language_the_site_lacks_falls_back_to_polish(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"

    page = client.get(LOGIN, headers={"accept-language": "de"}).content.decode()

    assert '<html lang="pl"' in page
    assert "Zaloguj się" in page


def test_set_language_stores_the_choice_and_later_pages_follow_it(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": LOGIN})

    assert response.status_code == 302
    assert response.headers["Location"] == LOGIN
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Log in" in client.get(LOGIN).content.decode()

    client.post(reverse("set_language"), {"language": "pl", "next": LOGIN})
    assert "Zaloguj się" in client.get(LOGIN).content.decode()


def test_admin_index_offers_the_switch_and_names_celery_sections_in_polish(admin_client):
    page = admin_client.get("/admin/").content.decode()

    assert 'name="language" value="en"' in page
    for polish in (
        "Wyniki zadań Celery",
        "Wyniki zadań",
        "Wyniki grup",
        "Zadania okresowe",
        "Harmonogramy cron",
        "Interwały",
        "Pulpit",
    ):
        assert polish in page, polish
    # Kinds of schedule invsync never uses are not offered at all (integrations.admin.technical).
    for unused in ("Jednorazowe terminy", "Zdarzenia słoneczne"):
        assert unused not in page, unused
    for english in (
        "Celery Results",
        "Task results",
        "Group results",
        "Periodic Tasks",
        "Periodic tasks",
        "Crontabs",
        "Intervals",
        "Clocked",
        "Solar events",
    ):
        assert english not in page, english


def test_task_results_list_has_polish_columns_and_filter(admin_client):
    TaskResult.objects.create(task_id="t-1", task_name="integrations.tasks.drain_task")

    page = admin_client.get(reverse("admin:django_celery_results_taskresult_changelist"))
    text = page.content.decode()

    for polish in ("Nazwa zadania", "Stan zadania", "Zakończono", "Worker"):
        assert polish in text, polish
    for english in ("Task Name", "Task State", "Completed DateTime", "task result"):
        assert english not in text, english


def test_queue_status_shows_a_halted_integration_and_why(tmp_path, make_integration, caplog):
    make_integration(name="Sklep A")
    make_integration(
        name="Sklep B",
        halted_at=timezone.now(),
        last_error="Sklep odrzucił klucz API (401).",
    )
    out = io.StringIO()

    with file_broker(tmp_path), caplog.at_level(logging.DEBUG, logger="kombu"):
        call_command("queue_status", "--timeout", "0.2", stdout=out)

    lines = out.getvalue().splitlines()
    halted = lines.index("  Sklep B: oczekujące 0, z błędem 0, uszkodzone 0")
    assert lines[halted + 1] == "    zatrzymana przez sklep: Sklep odrzucił klucz API (401)."
    assert sum("zatrzymana przez sklep" in line for line in lines) == 1
    assert not [r for r in caplog.records if "No hostname was supplied" in r.getMessage()]


def test_kombu_missing_hostname_warning_is_dropped_and_others_kept(caplog):
    kombu_logger = logging.getLogger("kombu.connection")

    with caplog.at_level(logging.WARNING):
        kombu_logger.warning("No hostname was supplied. Reverting to default 'localhost'")
        kombu_logger.warning("Connection lost")

    assert [record.getMessage() for record in caplog.records] == ["Connection lost"]


@pytest.mark.parametrize(
    ("argv", "configured", "level"),
    [
        (["manage.py", "sync_inventory"], "INFO", "WARNING"),
        (["/srv/invsync/manage.py", "queue_status"], "DEBUG", "WARNING"),
        (["manage.py", "sync_failed", "retry", "7"], "ERROR", "ERROR"),
        (["manage.py", "sync_inventory", "-v", "2"], "INFO", "INFO"),
        (["manage.py", "sync_inventory", "--verbosity=3"], "DEBUG", "DEBUG"),
        (["manage.py", "queue_status", "-v2"], "INFO", "INFO"),
        (["manage.py", "runserver"], "INFO", "INFO"),
        (["/srv/invsync/.venv/bin/celery", "-A", "invsync", "worker"], "INFO", "INFO"),
        (["/srv/invsync/.venv/bin/gunicorn", "invsync.wsgi"], "DEBUG", "DEBUG"),
    ],
)
def test_quiet_commands_log_warnings_while_workers_keep_log_level(argv, configured, level):
    assert process_log_level(argv, configured) == level


def test_manage_py_commands_log_warnings_only_by_default(tmp_path):
    # One short process: the level is chosen when settings load, from the command line.
    code = "import logging; print(logging.getLevelName(logging.getLogger().level))"
    environment = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "INVSYNC_INSECURE_DEV_KEY": "1",
        "DATABASE_URL": "sqlite:///:memory:",
        "INVSYNC_VAR_DIR": str(tmp_path),
    }
    shown = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "shell", "--no-imports", "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=60,
    )

    assert shown.stdout.strip() == "WARNING"
    assert shown.stderr == ""
