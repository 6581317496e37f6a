"""manage.py sync_inventory: estimate, dry run, start, wait with a progress bar, exit codes."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from integrations import tasks
from integrations.models import Integration, ProductLink, SyncChunk, SyncRun
from tests.fixtures.integrations import _database_url
from tests.test_operator_failed_tasks import queued_messages

ROOT = Path(__file__).resolve().parents[1]


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("sync_inventory", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def three(make_integration, make_product, make_links):
    """Two active integrations (one with 3 links), one disabled and one inactive."""
    first = make_integration(name="Pierwszy", chunk_size=2)
    make_links(first, [(make_product(), 10 + n) for n in range(3)])
    second = make_integration(name="Drugi")
    make_integration(name="Wyłączony", mode="disabled")
    make_integration(name="Nieaktywny", active=False)
    return first, second


@pytest.mark.django_db
@pytest.mark.both_databases
def test_estimate_prints_products_jobs_and_time_for_each_active_integration(three):
    out = run_command("--estimate")

    assert "Pierwszy: Produktów do synchronizacji: 3, liczba zadań (paczek): 2" in out
    assert "Drugi: Produktów do synchronizacji: 0, liczba zadań (paczek): 0" in out
    assert "Wyłączony" not in out
    assert SyncRun.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.both_databases
def test_estimate_comes_from_the_throughput_of_recent_runs(three):
    first, _second = three
    now = timezone.now()
    SyncRun.objects.create(
        integration=first,
        kind="full",
        trigger="command",
        status="done",
        processed=300,
        total=300,
        started_at=now - timezone.timedelta(seconds=100),
        finished_at=now,
    )  # 3 products per second

    out = run_command("--estimate", "--integration", str(first.pk))

    assert "szacowany czas: ok. 1 s (z ostatnich przebiegów)" in out


@pytest.mark.django_db
@pytest.mark.both_databases
def test_without_arguments_every_active_integration_starts_a_run(redis_broker, three):
    first, _second = three

    out = run_command()

    assert set(SyncRun.objects.values_list("integration__name", "trigger")) == {
        ("Pierwszy", "command"),
        ("Drugi", "command"),
    }
    run = SyncRun.objects.get(integration=first)
    assert (
        f"Pierwszy: synchronizacja została uruchomiona w tle, przebieg #{run.pk} "
        "(produktów: 3, paczek: 2)."
    ) in out


@pytest.mark.django_db
@pytest.mark.both_databases
def test_a_second_start_joins_the_run_in_progress(redis_broker, three):
    first, _second = three
    run_command("--integration", str(first.pk))

    out = run_command("--integration", str(first.pk))

    run = SyncRun.objects.get()
    assert f"Pierwszy: synchronizacja już trwa, przebieg #{run.pk} (produktów: 3)." in out


@pytest.mark.django_db
@pytest.mark.both_databases
def test_a_missing_integration_is_a_clear_error(redis_broker):
    with pytest.raises(CommandError, match="Nie ma integracji o id 999"):
        run_command("--integration", "999")


@pytest.mark.django_db
@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mode": "disabled"}, "jest wyłączona"),
        ({"active": False}, "jest nieaktywna"),
    ],
)
def test_a_disabled_or_inactive_integration_is_refused(
    redis_broker, make_integration, fields, message
):
    integration = make_integration(name="Sklep", **fields)

    with pytest.raises(CommandError, match=f"Integracja Sklep {message}"):
        run_command("--integration", str(integration.pk))
    assert SyncRun.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.both_databases
def test_an_unreachable_broker_is_an_error_and_starts_nothing(broker_down, three):
    with pytest.raises(CommandError, match=r"Broker .* jest nieosiągalny"):
        run_command()
    assert SyncRun.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.both_databases
def test_a_stopped_integration_fails_the_command_after_the_others_started(redis_broker, three):
    first, second = three
    Integration.objects.filter(pk=second.pk).update(
        halted_at=timezone.now(), last_error="HTTP 401."
    )

    with pytest.raises(CommandError, match="Nie uruchomiono: Drugi: Synchronizacja zatrzymana"):
        run_command()
    assert list(SyncRun.objects.values_list("integration_id", flat=True)) == [first.pk]


def follow(integration) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command(
            "sync_inventory",
            "--integration",
            str(integration.pk),
            "--wait",
            "--poll-interval",
            "0.2",
            "--timeout",
            "90",
            stdout=out,
        )
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.fixture
def stocked(shop, make_integration, make_product, warehouse, receive_stock, link_shop):
    """make(n) -> an integration with n products (ledger 6 each) linked to shop rows at 1."""

    def make(count: int, **fields):
        integration = make_integration(shop, chunk_size=2, **fields)
        products = [make_product() for _ in range(count)]
        receive_stock(warehouse, dict.fromkeys(products, 6))
        rows = link_shop(shop, integration, products, quantity=1)
        return integration, products, rows

    return make


@pytest.mark.integration
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_wait_follows_the_run_to_100_percent_and_exits_0(celery_worker_process, shop, stocked):
    integration, products, rows = stocked(4)

    out, error = follow(integration)

    assert error is None
    assert "100%" in out
    assert "4/4" in out
    run = SyncRun.objects.get()
    assert (
        f"Przebieg #{run.pk} ({integration.name}): zakończony; przetworzone 4, zmienione 4" in out
    )
    assert [shop.quantity(rows[p.pk]) for p in products] == [6, 6, 6, 6]


@pytest.mark.integration
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_wait_exits_2_when_the_run_finished_with_errors(celery_worker_process, shop, stocked):
    integration, products, _rows = stocked(3)
    shop.delete_product(ProductLink.objects.get(product=products[0]).ps_product_id)

    out, error = follow(integration)

    assert error is not None
    assert error.returncode == 2
    assert "zakończyła się z błędami" in str(error)
    assert "zakończony z błędami; przetworzone 3, zmienione 2, błędy 1" in out


@pytest.mark.integration
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_wait_exits_1_when_the_run_failed(celery_worker_process, shop, stocked):
    integration, _products, _rows = stocked(2, api_key=shop.disabled_key)

    out, error = follow(integration)

    assert error is not None
    assert error.returncode == 1
    assert "Synchronizacja nie powiodła się" in str(error)
    assert "nieudany" in out


@pytest.mark.integration
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_cron_line_starts_every_active_integration_and_exits_0_without_a_worker(redis_url, three):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": redis_url,
        "DEBUG": "0",
        "INVSYNC_INSECURE_DEV_KEY": "1",
    }
    env.pop("DATABASE_TEST_NAME", None)

    done = subprocess.run(
        [sys.executable, "manage.py", "sync_inventory"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert queued_messages(redis_url) == [
        ("integrations.tasks.sync_chunk_task", f"({chunk},)")
        for chunk in SyncChunk.objects.order_by("pk").values_list("pk", flat=True)
    ]
    # "Drugi" has no links: its run is done at once; "Pierwszy" waits for a worker.
    assert dict(SyncRun.objects.values_list("integration__name", "status")) == {
        "Pierwszy": "queued",
        "Drugi": "done",
    }
    assert "Pierwszy: synchronizacja została uruchomiona w tle" in done.stdout


@pytest.mark.django_db
@pytest.mark.both_databases
def test_cancel_stops_the_running_full_syncs_and_says_so(three, django_capture_on_commit_callbacks):
    first, _second = three
    with django_capture_on_commit_callbacks(execute=False):
        run = tasks.start_full_sync(first, trigger=SyncRun.Trigger.COMMAND)

    out = run_command("--cancel")
    again = run_command("--integration", str(first.pk), "--cancel")

    run.refresh_from_db()
    assert run.status == "cancelled"
    assert f"Pierwszy: przebieg #{run.pk} anulowano; paczki, które nie zostaną wykonane: 2." in out
    assert again.strip() == "Żadna pełna synchronizacja nie trwa."
