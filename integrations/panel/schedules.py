"""The sync schedule in django-celery-beat's tables: created on first start, editable in the admin.

Three kinds of entries:
- the periodic drain, every minute (integrations.tasks.drain_all_task): catches every change
  an after-commit enqueue missed, frees stale claims, re-sends lost chunks;
- the nightly full sync at 02:00 in settings.TIME_ZONE (Europe/Warsaw by default;
  integrations.tasks.nightly_full_sync_task): repairs drift made in the shop;
- one entry per integration, every ``interval_minutes``, that follows the integration's mode:
  ``local_to_presta`` drains that integration's changes (integrations.tasks.drain_task; the
  changes themselves go out seconds after each document, so this is the guaranteed upper
  bound, not the main path), ``prestashop_to_local`` reads the shop's stock back
  (integrations.tasks.start_full_sync_task with trigger "schedule"), ``disabled`` or an
  inactive integration keeps its entry but disabled.

ensure_schedules() only creates what is missing, so an operator's edits of the drain and the
nightly entries survive restarts and migrations. Saving an integration realigns its own entry.
"""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from integrations.models import Integration
from invsync.celery import queue_of

DRAIN_NAME = "Integration inventory sync: periodic drain"
NIGHTLY_NAME = "Integration inventory sync: nightly full sync"
INTEGRATION_NAME = "Integration inventory sync: scheduled sync of integration {pk}"
DRAIN_ALL_TASK = "integrations.tasks.drain_all_task"
NIGHTLY_TASK = "integrations.tasks.nightly_full_sync_task"
DRAIN_TASK = "integrations.tasks.drain_task"
PULL_TASK = "integrations.tasks.start_full_sync_task"
NIGHTLY_HOUR = 2


@dataclass
class ScheduleChanges:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def schedule_name(integration_id: int) -> str:
    """The name of an integration's own entry (names are unique in django-celery-beat)."""
    return INTEGRATION_NAME.format(pk=integration_id)


def every_minutes(minutes: int, *, using: str = "default") -> IntervalSchedule:
    """The interval of that many minutes, reused if it exists."""
    existing = IntervalSchedule.objects.using(using).filter(
        every=minutes, period=IntervalSchedule.MINUTES
    )
    return existing.first() or IntervalSchedule.objects.using(using).create(
        every=minutes, period=IntervalSchedule.MINUTES
    )


def nightly_crontab(*, using: str = "default") -> CrontabSchedule:
    """02:00 every day, in the project's time zone (Europe/Warsaw by default)."""
    fields = {
        "minute": "0",
        "hour": str(NIGHTLY_HOUR),
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": settings.TIME_ZONE,
    }
    existing = CrontabSchedule.objects.using(using).filter(**fields)
    return existing.first() or CrontabSchedule.objects.using(using).create(**fields)


def ensure_schedules(*, using: str = "default") -> ScheduleChanges:
    """Create the missing entries (drain, nightly, one per integration); drop orphans."""
    changes = ScheduleChanges()
    tasks = PeriodicTask.objects.using(using)
    if not tasks.filter(name=DRAIN_NAME).exists():
        PeriodicTask(
            name=DRAIN_NAME,
            task=DRAIN_ALL_TASK,
            interval=every_minutes(1, using=using),
            queue=queue_of(DRAIN_ALL_TASK),
        ).save(using=using)
        changes.created.append(DRAIN_NAME)
    if not tasks.filter(name=NIGHTLY_NAME).exists():
        PeriodicTask(
            name=NIGHTLY_NAME,
            task=NIGHTLY_TASK,
            crontab=nightly_crontab(using=using),
            queue=queue_of(NIGHTLY_TASK),
        ).save(using=using)
        changes.created.append(NIGHTLY_NAME)
    for integration in Integration.objects.using(using).order_by("pk"):
        if not tasks.filter(name=schedule_name(integration.pk)).exists():
            changes.created.append(sync_integration_schedule(integration, using=using))
    changes.removed.extend(remove_orphans(using=using))
    return changes


def wanted_entry(integration: Integration) -> dict:
    """What the integration's entry should hold now, from its mode, interval and state."""
    pulls = integration.mode == Integration.Mode.PRESTASHOP_TO_LOCAL
    args = [integration.pk, "schedule"] if pulls else [integration.pk]
    task = PULL_TASK if pulls else DRAIN_TASK
    return {
        "task": task,
        "args": json.dumps(args),
        "enabled": integration.active and integration.mode != Integration.Mode.DISABLED,
        "queue": queue_of(task),
        "description": f"{integration.name}: {integration.get_mode_display()}",
    }


def sync_integration_schedule(integration: Integration, *, using: str = "default") -> str:
    """Create or realign the integration's entry; returns its name. Saves only on a change."""
    name = schedule_name(integration.pk)
    entry = PeriodicTask.objects.using(using).filter(name=name).first()
    entry = entry or PeriodicTask(name=name)
    wanted = wanted_entry(integration)
    changed = entry.pk is None or any(getattr(entry, key) != value for key, value in wanted.items())
    if entry.interval is None or entry.interval.every != integration.interval_minutes:
        entry.interval = every_minutes(integration.interval_minutes, using=using)
        entry.crontab = entry.solar = entry.clocked = None
        changed = True
    if changed:
        for key, value in wanted.items():
            setattr(entry, key, value)
        entry.save(using=using)
    return name


def remove_integration_schedule(integration_id: int, *, using: str = "default") -> int:
    """Delete the entry of a deleted integration; returns how many were deleted."""
    removed = 0
    for entry in PeriodicTask.objects.using(using).filter(name=schedule_name(integration_id)):
        entry.delete()  # the instance delete tells the beat its schedule changed
        removed += 1
    return removed


def remove_orphans(*, using: str = "default") -> list[str]:
    """Entries of integrations that no longer exist (deleted while the receiver was off)."""
    prefix = INTEGRATION_NAME.split("{", 1)[0]
    existing = {
        schedule_name(pk) for pk in Integration.objects.using(using).values_list("pk", flat=True)
    }
    orphans = [
        entry
        for entry in PeriodicTask.objects.using(using).filter(name__startswith=prefix)
        if entry.name not in existing
    ]
    for entry in orphans:
        entry.delete()
    return [entry.name for entry in orphans]


def schedule_tables_exist(using: str = "default") -> bool:
    """Whether django-celery-beat's tables are there (a partial migrate may stop before them)."""
    tables = set(connections[using].introspection.table_names())
    return {PeriodicTask._meta.db_table, Integration._meta.db_table} <= tables


def on_post_migrate(sender, *, using="default", **kwargs) -> None:
    """post_migrate receiver (sender: the integrations app): create the missing entries."""
    if schedule_tables_exist(using):
        ensure_schedules(using=using)


def on_integration_saved(sender, instance, *, raw=False, using="default", **kwargs) -> None:
    """post_save receiver on Integration: its entry follows its mode, interval and state."""
    if not raw:
        sync_integration_schedule(instance, using=using)


def on_integration_deleted(sender, instance, *, using="default", **kwargs) -> None:
    """post_delete receiver on Integration: its entry goes with it."""
    remove_integration_schedule(instance.pk, using=using)


RECEIVER_UIDS = {
    "post_migrate": "integrations.panel.schedules.ensure",
    "post_save": "integrations.panel.schedules.follow_integration",
    "post_delete": "integrations.panel.schedules.drop_integration",
}


def connect_receivers(app_config) -> None:
    """Wire the receivers above; called from IntegrationsConfig.ready(). Idempotent."""
    from django.db.models import signals

    signals.post_migrate.connect(
        on_post_migrate, sender=app_config, dispatch_uid=RECEIVER_UIDS["post_migrate"]
    )
    signals.post_save.connect(
        on_integration_saved, sender=Integration, dispatch_uid=RECEIVER_UIDS["post_save"]
    )
    signals.post_delete.connect(
        on_integration_deleted, sender=Integration, dispatch_uid=RECEIVER_UIDS["post_delete"]
    )
