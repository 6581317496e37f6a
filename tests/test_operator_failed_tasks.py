"""Failed tasks (FailedTask rows written on Celery's task_failure): parsing, retry, dismiss,
flush, retention, the admin; they outlive Celery's result cleanup.

store_failure() and queued_messages() are shared with test_commands_sync_failed.py.
"""

import base64
import json
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from celery.signals import task_failure
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from integrations.engine import periodic
from integrations.models import FailedTask
from integrations.panel import failed_tasks

CHANGELIST = "admin:integrations_failedtask_changelist"


class FakeTask:
    """What task_failure's sender offers a receiver: the task's name and its request."""

    def __init__(self, name: str):
        self.name = name
        self.request = SimpleNamespace(hostname="worker@test")


def store_failure(name: str, args=(), kwargs=None, *, error=None) -> FailedTask:
    """A failure as a worker records it: Celery's task_failure signal, sent as the worker's
    tracer sends it (the task, its id, the exception, the call's arguments)."""
    task_id = str(uuid.uuid4())
    task_failure.send(
        sender=FakeTask(name),
        task_id=task_id,
        exception=error or RuntimeError("the shop failed (HTTP 503)"),
        args=tuple(args),
        kwargs=kwargs or {},
        traceback=None,
        einfo="Traceback: ...",
    )
    return FailedTask.objects.get(task_id=task_id)


def queued_messages(redis_url: str, queue: str | None = None) -> list[tuple[str, str]]:
    """(task name, argsrepr) of every message waiting in the Redis queue (default: the live
    queue, then the bulk one), oldest first."""
    import redis

    client = redis.Redis.from_url(redis_url)
    found = []
    names = [queue] if queue else ["integrations_live", "integrations"]
    for raw in [raw for name in names for raw in reversed(client.lrange(name, 0, -1))]:
        message = json.loads(raw)
        headers = message["headers"]
        found.append((headers["task"], headers["argsrepr"]))
        base64.b64decode(message["body"])  # a well-formed message
    return found


pytestmark = [pytest.mark.django_db]

DRAIN = "integrations.tasks.drain_task"
START = "integrations.tasks.start_full_sync_task"


@pytest.mark.both_databases
def test_stored_arguments_are_read_back_as_the_task_was_called():
    row = store_failure(START, (7, "schedule"))

    assert failed_tasks.stored_call(row) == (START, (7, "schedule"), {})


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("(5,)", (5,)),
        ('"(5,)"', (5,)),
        ("[5]", (5,)),
        ("\"[5, 'admin']\"", (5, "admin")),
        ("", ()),
        (None, ()),
    ],
)
def test_each_stored_argument_format_is_parsed_as_a_literal(stored, expected):
    row = FailedTask(task_name=DRAIN, task_args=stored, task_kwargs="{}")

    assert failed_tasks.stored_call(row) == (DRAIN, expected, {})


@pytest.mark.both_databases
@pytest.mark.parametrize(
    "stored", ["\"__import__('os').system('true')\"", '"(1,"', '"{1: 2}"', "42"]
)
def test_arguments_that_are_not_plain_literals_are_refused_never_evaluated(stored):
    row = FailedTask(task_name=DRAIN, task_args=stored, task_kwargs="{}")

    with pytest.raises(failed_tasks.RetryRefused, match="nie można odczytać"):
        failed_tasks.stored_call(row)


@pytest.mark.both_databases
def test_unknown_task_names_are_refused():
    row = store_failure("os.system", ("true",))

    with pytest.raises(failed_tasks.RetryRefused, match=r"nieznane zadanie 'os\.system'"):
        failed_tasks.stored_call(row)


@pytest.mark.both_databases
def test_error_summary_gives_the_exception_type_and_message():
    row = store_failure(DRAIN, (3,))

    assert failed_tasks.error_summary(row) == "RuntimeError: the shop failed (HTTP 503)"


def test_retry_sends_the_same_call_to_the_queue_and_forgets_the_failure(redis_broker):
    row = store_failure(DRAIN, (3,))

    new_id = failed_tasks.retry(row)

    assert queued_messages(redis_broker) == [(DRAIN, "(3,)")]
    assert not FailedTask.objects.filter(pk=row.pk).exists()
    assert new_id != row.task_id


def test_retry_many_sends_the_good_ones_and_reports_the_bad_one(redis_broker):
    good = store_failure(DRAIN, (3,))
    bad = store_failure("no.such.task", (1,))
    good_id = good.pk

    outcome = failed_tasks.retry_many([good, bad])

    assert [row_id for row_id, _ in outcome.retried] == [good_id]
    assert outcome.refused == [(bad.pk, "nieznane zadanie 'no.such.task'")]
    assert queued_messages(redis_broker) == [(DRAIN, "(3,)")]
    assert FailedTask.objects.filter(pk=bad.pk).exists()


@pytest.mark.both_databases
def test_flush_deletes_failures_only():
    store_failure(DRAIN, (1,))
    store_failure(DRAIN, (2,))

    assert failed_tasks.flush() == 2
    assert FailedTask.objects.count() == 0


@pytest.mark.both_databases
def test_admin_lists_failures_with_their_error(admin_client):
    store_failure(DRAIN, (3,))

    content = admin_client.get(reverse(CHANGELIST)).content.decode()

    assert "RuntimeError: the shop failed (HTTP 503)" in content
    assert "Ponów zaznaczone nieudane zadania" in content


def test_admin_retry_action_sends_the_task_again(admin_client, redis_broker):
    row = store_failure(DRAIN, (3,))

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "retry_selected", "_selected_action": [row.pk]},
        follow=True,
    )

    assert "Wysłano ponownie zadań: 1." in response.content.decode()
    assert queued_messages(redis_broker) == [(DRAIN, "(3,)")]


@pytest.mark.both_databases
def test_admin_retry_action_needs_the_run_sync_permission(client):
    row = store_failure(DRAIN, (3,))
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_failedtask"),
        Permission.objects.get(codename="delete_failedtask"),
    )
    client.force_login(user)
    url = reverse(CHANGELIST)

    page = client.get(url).content.decode()
    client.post(url, {"action": "retry_selected", "_selected_action": [row.pk]})

    assert "Ponów zaznaczone nieudane zadania" not in page
    assert FailedTask.objects.filter(pk=row.pk).exists()


@pytest.mark.both_databases
def test_admin_dismiss_action_forgets_the_failure(admin_client):
    row = store_failure(DRAIN, (3,))

    admin_client.post(
        reverse(CHANGELIST),
        {"action": "dismiss_selected", "_selected_action": [row.pk]},
    )

    assert not FailedTask.objects.filter(pk=row.pk).exists()


@pytest.mark.both_databases
def test_failures_stay_until_the_retention_then_the_periodic_drain_prunes_them(settings):
    settings.INVSYNC_FAILED_TASK_RETENTION_DAYS = 30
    old = store_failure(DRAIN, (1,))
    kept = store_failure(DRAIN, (2,))
    FailedTask.objects.filter(pk=old.pk).update(failed_at=timezone.now() - timedelta(days=31))
    FailedTask.objects.filter(pk=kept.pk).update(failed_at=timezone.now() - timedelta(days=29))

    done = periodic.housekeeping()

    assert done.pruned_failures == 1
    assert list(failed_tasks.failures()) == [kept]


@pytest.mark.both_databases
def test_a_failure_recorded_twice_is_one_row_with_the_latest_error():
    row = store_failure(DRAIN, (1,))
    task_failure.send(
        sender=FakeTask(DRAIN),
        task_id=row.task_id,
        exception=ValueError("again"),
        args=(1,),
        kwargs={},
    )

    assert [r.error for r in failed_tasks.failures()] == ["ValueError: again"]
