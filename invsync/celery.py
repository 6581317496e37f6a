"""The Celery application. Tasks live in each app's tasks.py; routing sends the sync
engine's work to the ``integrations`` queue (the old system's queue name)."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invsync.settings")

app = Celery("invsync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("integrations"),)
app.conf.task_routes = {"integrations.*": {"queue": "integrations"}}
app.autodiscover_tasks()


def _ensure_broker_folders() -> None:
    """The file broker (the default) needs its folders before the first message."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


_ensure_broker_folders()
