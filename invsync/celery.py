"""The Celery application. Tasks live in each app's tasks.py; routing sends the sync engine's
work to two queues: ``integrations_live`` for live work (the drains that carry a stock change
to the shops, the periodic drain) and ``integrations`` for bulk work (full-sync chunks, pulls,
reports; the old system's queue name). Every worker consumes the live queue first, and the
production layouts keep processes on the live queue alone, so a stock change never waits
behind a full sync."""

import os

from celery import Celery, signals
from kombu import Queue

from invsync import worker_checks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invsync.settings")

LIVE_QUEUE = "integrations_live"
BULK_QUEUE = "integrations"
LIVE_TASKS = ("integrations.tasks.drain_task", "integrations.tasks.drain_all_task")

app = Celery("invsync")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The order is the consuming order: a worker on both queues (the default without -Q) asks the
# live queue first (with Redis: queue_order_strategy "priority", set in settings).
app.conf.task_queues = (Queue(LIVE_QUEUE), Queue(BULK_QUEUE))
app.conf.task_routes = {
    **{name: {"queue": LIVE_QUEUE} for name in LIVE_TASKS},
    "integrations.*": {"queue": BULK_QUEUE},
}
app.autodiscover_tasks()
# Without a shared limiter (INVSYNC_REDIS_URL) only one worker process may run.
signals.worker_init.connect(worker_checks.refuse_many_processes, weak=False)
signals.worker_ready.connect(worker_checks.refuse_other_nodes, weak=False)


def queue_of(task_name: str) -> str:
    """The queue a task of this name is sent to (for entries that name their queue)."""
    return LIVE_QUEUE if task_name in LIVE_TASKS else BULK_QUEUE


def _ensure_broker_folders() -> None:
    """The file broker (the default) needs its folders before the first message."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


_ensure_broker_folders()
