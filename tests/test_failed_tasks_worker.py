"""A task that fails in a real worker stays in the failed-task list after Celery's own result
cleanup (celery.backend_cleanup, which django-celery-beat runs at 04:00) has deleted its
result row (issue 15: failures used to vanish after a day)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_results.models import TaskResult

from integrations import tasks
from integrations.models import FailedTask

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]

MISSING_INTEGRATION = 987_654


def test_a_failed_task_is_still_listed_after_celerys_result_cleanup(celery_worker_process):
    worker = celery_worker_process
    sent = tasks.start_full_sync_task.delay(MISSING_INTEGRATION, "admin")  # DoesNotExist
    failed = worker.wait_for(lambda: FailedTask.objects.filter(task_id=sent.id).first())
    worker.wait_for(lambda: TaskResult.objects.filter(task_id=sent.id, status="FAILURE").exists())
    # Two days later: past Celery's result_expires (one day), well within our retention.
    two_days_ago = timezone.now() - timedelta(days=2)
    TaskResult.objects.filter(task_id=sent.id).update(date_done=two_days_ago)
    FailedTask.objects.filter(pk=failed.pk).update(failed_at=two_days_ago)

    cleanup = worker.app.send_task("celery.backend_cleanup")
    worker.wait_for(
        lambda: TaskResult.objects.filter(task_id=cleanup.id, status="SUCCESS").exists()
    )

    assert not TaskResult.objects.filter(task_id=sent.id).exists()  # Celery forgot it
    out = io.StringIO()
    call_command("sync_failed", "list", stdout=out)
    [line] = out.getvalue().splitlines()
    assert line.split()[0] == str(failed.pk)
    assert "integrations.tasks.start_full_sync_task" in line
    assert f"({MISSING_INTEGRATION}, 'admin')" in line
    assert "DoesNotExist" in line
    assert failed.worker == worker.name
