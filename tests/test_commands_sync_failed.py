"""manage.py sync_failed list | retry ID | retry all | dismiss ID | flush (the old queue:failed
family)."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from integrations.models import FailedTask
from tests.test_operator_failed_tasks import queued_messages, store_failure

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

DRAIN = "integrations.tasks.drain_task"


def sync_failed(*args) -> str:
    out = io.StringIO()
    call_command("sync_failed", *args, stdout=out)
    return out.getvalue()


def test_list_shows_each_failure_with_its_id_task_arguments_and_error():
    row = store_failure(DRAIN, (4,))

    out = sync_failed("list")

    line = out.splitlines()[0]
    assert line.split()[0] == str(row.pk)
    assert DRAIN in line
    assert "(4,)" in line
    assert line.endswith("RuntimeError: the shop failed (HTTP 503)")


def test_list_shows_the_time_in_the_admins_time_zone_not_utc(settings):
    settings.TIME_ZONE = "Europe/Warsaw"
    row = store_failure(DRAIN, (4,))
    FailedTask.objects.filter(pk=row.pk).update(failed_at=datetime(2026, 1, 15, 11, 0, tzinfo=UTC))
    summer = store_failure(DRAIN, (5,))
    FailedTask.objects.filter(pk=summer.pk).update(
        failed_at=datetime(2026, 7, 15, 22, 30, tzinfo=UTC)
    )

    lines = sync_failed("list").splitlines()

    assert lines[0].split()[1:3] == ["2026-07-16", "00:30:00"]  # CEST, UTC+2: the next day
    assert lines[1].split()[1:3] == ["2026-01-15", "12:00:00"]  # CET, UTC+1


def test_list_says_when_there_is_nothing():
    assert sync_failed("list") == "Brak nieudanych zadań.\n"


def test_retry_by_id_sends_that_task_again(redis_broker):
    row = store_failure(DRAIN, (4,))
    other = store_failure(DRAIN, (5,))

    out = sync_failed("retry", str(row.pk))

    assert out.startswith(f"Zadanie {row.pk} wysłano ponownie jako ")
    assert queued_messages(redis_broker) == [(DRAIN, "(4,)")]
    assert list(FailedTask.objects.values_list("pk", flat=True)) == [other.pk]


def test_retry_by_celery_task_id_works_too(redis_broker):
    row = store_failure(DRAIN, (6,))

    sync_failed("retry", row.task_id)

    assert queued_messages(redis_broker) == [(DRAIN, "(6,)")]


def test_retry_all_sends_every_failure_again(redis_broker):
    store_failure(DRAIN, (1,))
    store_failure(DRAIN, (2,))

    out = sync_failed("retry", "all")

    assert out.count("wysłano ponownie") == 2
    assert queued_messages(redis_broker) == [(DRAIN, "(1,)"), (DRAIN, "(2,)")]
    assert FailedTask.objects.count() == 0


def test_retry_all_reports_the_failures_it_could_not_send(redis_broker):
    store_failure(DRAIN, (1,))
    bad = store_failure("gone.task", (2,))

    with pytest.raises(CommandError, match=r"Nie wysłano ponownie: .*nieznane zadanie"):
        sync_failed("retry", "all")

    assert queued_messages(redis_broker) == [(DRAIN, "(1,)")]
    assert list(FailedTask.objects.values_list("pk", flat=True)) == [bad.pk]


def test_retry_of_an_unknown_id_is_a_clear_error(redis_broker):
    with pytest.raises(CommandError, match="Nie ma nieudanego zadania 12345"):
        sync_failed("retry", "12345")


def test_retry_with_the_broker_down_is_an_error_and_keeps_the_failure(broker_down):
    row = store_failure(DRAIN, (4,))

    with pytest.raises(CommandError, match="jest nieosiągalny"):
        sync_failed("retry", str(row.pk))

    assert FailedTask.objects.filter(pk=row.pk).exists()


def test_flush_deletes_every_failure():
    store_failure(DRAIN, (1,))
    store_failure(DRAIN, (2,))

    assert sync_failed("flush") == "Usunięto nieudanych zadań: 2.\n"
    assert FailedTask.objects.count() == 0


def test_dismiss_forgets_one_failure_and_sends_nothing(redis_broker):
    row = store_failure(DRAIN, (4,))
    other = store_failure(DRAIN, (5,))

    out = sync_failed("dismiss", row.task_id)

    assert out == f"Zadanie {row.pk} odrzucono.\n"
    assert queued_messages(redis_broker) == []
    assert list(FailedTask.objects.values_list("pk", flat=True)) == [other.pk]


def test_dismiss_of_an_unknown_id_is_a_clear_error():
    with pytest.raises(CommandError, match="Nie ma nieudanego zadania 999"):
        sync_failed("dismiss", "999")
