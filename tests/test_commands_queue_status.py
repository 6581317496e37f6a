"""manage.py queue_status: waiting tasks per queue, workers, waiting changes, runs, failures."""

import contextlib
import io

import pytest
from django.core.management import CommandError, call_command

from integrations import tasks
from integrations.models import ProductLink
from integrations.tasks import drain_task
from invsync.celery import app
from tests.fixtures.integrations import broker_pointed_at
from tests.test_operator_failed_tasks import store_failure


def queue_status(*args) -> str:
    out = io.StringIO()
    call_command("queue_status", "--timeout", "0.5", *args, stdout=out)
    return out.getvalue()


@contextlib.contextmanager
def file_broker(folder):
    """Publish through the file broker (the default) kept in this test's folder."""
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }
    for name in ("queue", "control"):
        (folder / name).mkdir()
    with broker_pointed_at(app, "filesystem://", options):
        yield


@pytest.fixture
def busy(make_integration, make_product, make_links):
    """An integration with 3 links (2 waiting, 1 broken), a queued run and a failed task."""
    integration = make_integration(name="Sklep", chunk_size=2)
    links = make_links(integration, [(make_product(), 20 + n) for n in range(3)])
    ProductLink.objects.filter(pk__in=[links[0].pk, links[1].pk]).update(dirty=True)
    ProductLink.objects.filter(pk=links[2].pk).update(state="broken")
    run = tasks.start_full_sync(integration, trigger="command")
    store_failure("integrations.tasks.drain_task", (integration.pk,))
    return integration, run


@pytest.mark.django_db
@pytest.mark.both_databases
def test_shows_tasks_waiting_in_redis_no_worker_changes_runs_and_failures(redis_broker, busy):
    integration, run = busy
    drain_task.delay(integration.pk)
    drain_task.delay(integration.pk)

    out = queue_status()

    assert f"Broker: {redis_broker} (osiągalny)" in out
    assert "Zadania oczekujące w kolejkach:\n  integrations_live: 2 (" in out
    # Nothing was ever sent to the bulk queue here, so Redis does not know it yet.
    assert "\n  integrations: nieznana (masowe: " in out
    assert "Workery: żaden nie odpowiedział w ciągu 0.5 s." in out
    assert "Sklep: oczekujące 2, z błędem 0, uszkodzone 1" in out
    assert f"#{run.pk} Sklep (pełna, w kolejce): 0 z 3, zmienione 0, błędy 0" in out
    assert "Nieudane zadania: 1 (zobacz sync_failed list)" in out


@pytest.mark.django_db
@pytest.mark.both_databases
def test_file_broker_counts_its_files_and_says_which_workers_it_can_reach(tmp_path, busy):
    integration, _run = busy
    with file_broker(tmp_path):
        drain_task.delay(integration.pk)
        out = queue_status()

    assert len(list((tmp_path / "queue").iterdir())) == 1  # the message is in this test's folder
    assert "Broker: filesystem://" in out
    assert "  integrations_live: 1 (" in out
    assert "Workery: żaden nie odpowiedział w ciągu 0.5 s." in out
    assert "Broker plikowy dociera tylko do workerów na tym komputerze" in out


@pytest.mark.django_db
@pytest.mark.both_databases
def test_unreachable_broker_fails_after_showing_what_the_database_knows(broker_down, busy):
    out = io.StringIO()

    with pytest.raises(CommandError, match="jest nieosiągalny"):
        call_command("queue_status", stdout=out)

    assert "Sklep: oczekujące 2, z błędem 0, uszkodzone 1" in out.getvalue()
    assert "Trwające przebiegi:" in out.getvalue()


@pytest.mark.integration
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_running_worker_is_listed_by_name(celery_worker_process):
    out = io.StringIO()
    call_command("queue_status", "--timeout", "2", stdout=out)

    assert "Workery:\n" in out.getvalue()
    assert f"  {celery_worker_process.name}: bezczynny" in out.getvalue()
    assert "Trwające przebiegi: brak" in out.getvalue()
