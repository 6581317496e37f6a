"""The beat schedule in the database: created at start, following each integration."""

import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import signals
from django_celery_beat.models import PeriodicTask

from integrations.models import Integration
from integrations.panel import schedules

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def connected(signal, uid: str) -> bool:
    return any(key[0] == uid for key, *_rest in signal.receivers)


@pytest.fixture
def wired():
    """The receivers connected for this test (as IntegrationsConfig.ready() connects them)."""
    was = connected(signals.post_save, schedules.RECEIVER_UIDS["post_save"])
    schedules.connect_receivers(apps.get_app_config("integrations"))
    yield
    if not was:
        signals.post_migrate.disconnect(dispatch_uid=schedules.RECEIVER_UIDS["post_migrate"])
        signals.post_save.disconnect(dispatch_uid=schedules.RECEIVER_UIDS["post_save"])
        signals.post_delete.disconnect(dispatch_uid=schedules.RECEIVER_UIDS["post_delete"])


def entry_of(integration) -> PeriodicTask:
    return PeriodicTask.objects.select_related("interval").get(
        name=schedules.schedule_name(integration.pk)
    )


def test_the_app_connects_the_schedule_receivers_at_start():
    assert connected(signals.post_migrate, schedules.RECEIVER_UIDS["post_migrate"])
    assert connected(signals.post_save, schedules.RECEIVER_UIDS["post_save"])
    assert connected(signals.post_delete, schedules.RECEIVER_UIDS["post_delete"])


def test_start_creates_the_drain_every_minute_and_the_nightly_full_sync_at_two(wired):
    PeriodicTask.objects.all().delete()

    call_command("migrate", verbosity=0)  # every start runs migrate; post_migrate follows

    drain = PeriodicTask.objects.get(name=schedules.DRAIN_NAME)
    nightly = PeriodicTask.objects.get(name=schedules.NIGHTLY_NAME)
    assert (drain.task, drain.interval.every, drain.interval.period) == (
        "integrations.tasks.drain_all_task",
        1,
        "minutes",
    )
    assert nightly.task == "integrations.tasks.nightly_full_sync_task"
    assert (nightly.crontab.minute, nightly.crontab.hour) == ("0", "2")
    assert str(nightly.crontab.timezone) == "Europe/Warsaw"
    assert drain.enabled
    assert nightly.enabled
    # The periodic drain is live work, the nightly full sync bulk work.
    assert (drain.queue, nightly.queue) == ("integrations_live", "integrations")


def test_a_new_integration_gets_a_drain_every_interval_minutes(wired, make_integration):
    integration = make_integration(interval_minutes=5)

    entry = entry_of(integration)

    assert entry.task == "integrations.tasks.drain_task"
    assert json.loads(entry.args) == [integration.pk]
    assert (entry.interval.every, entry.interval.period) == (5, "minutes")
    assert entry.enabled
    assert entry.queue == "integrations_live"


def test_changing_the_interval_moves_the_integrations_entry(wired, make_integration):
    integration = make_integration(interval_minutes=5)

    integration.interval_minutes = 15
    integration.save()

    assert entry_of(integration).interval.every == 15
    assert PeriodicTask.objects.filter(name=schedules.schedule_name(integration.pk)).count() == 1


def test_shop_to_ledger_mode_schedules_a_scheduled_read_of_the_shop(wired, make_integration):
    integration = make_integration(interval_minutes=10)

    integration.mode = Integration.Mode.PRESTASHOP_TO_LOCAL
    integration.save()

    entry = entry_of(integration)
    assert entry.task == "integrations.tasks.start_full_sync_task"
    assert json.loads(entry.args) == [integration.pk, "schedule"]
    assert entry.interval.every == 10
    assert entry.queue == "integrations"


@pytest.mark.parametrize("change", [{"mode": "disabled"}, {"active": False}])
def test_disabled_or_inactive_integration_keeps_a_disabled_entry(wired, make_integration, change):
    integration = make_integration()

    for field, value in change.items():
        setattr(integration, field, value)
    integration.save()

    assert not entry_of(integration).enabled


def test_deleting_an_integration_removes_its_entry(wired, make_integration):
    integration = make_integration()
    name = schedules.schedule_name(integration.pk)

    integration.delete()

    assert not PeriodicTask.objects.filter(name=name).exists()


def test_ensure_keeps_the_operators_edits_of_existing_entries(wired):
    schedules.ensure_schedules()
    PeriodicTask.objects.filter(name=schedules.NIGHTLY_NAME).update(enabled=False)

    changes = schedules.ensure_schedules()

    assert changes.created == []
    assert not PeriodicTask.objects.get(name=schedules.NIGHTLY_NAME).enabled


def test_setup_schedules_creates_what_is_missing_and_removes_orphans():
    schedules.ensure_schedules()
    integration = Integration.objects.create(name="Sklep A", shop_url="http://x/", api_key="K")
    PeriodicTask.objects.filter(
        name__in=[schedules.DRAIN_NAME, schedules.schedule_name(integration.pk)]
    ).delete()
    PeriodicTask.objects.create(
        name=schedules.schedule_name(999_999),
        task=schedules.DRAIN_TASK,
        interval=schedules.every_minutes(5),
    )

    output = io.StringIO()
    call_command("setup_schedules", stdout=output)

    out = output.getvalue()
    assert f"Utworzono: {schedules.DRAIN_NAME}" in out
    assert f"Utworzono: {schedules.schedule_name(integration.pk)}" in out
    assert f"Usunięto (jego integracja nie istnieje): {schedules.schedule_name(999_999)}" in out
    assert PeriodicTask.objects.filter(name=schedules.DRAIN_NAME).exists()
    assert "(włączony)" in out
