"""Record every task that fails for good in FailedTask (Celery's task_failure signal).

task_failure fires once a task gives up: an error it does not retry, its retries spent, its
time limit, or a worker lost without redelivery. Retries (Retry) do not fire it, so a row
means someone has to look. The row outlives Celery's result expiry (see failure_models).
"""

import logging

from django.db import DatabaseError
from django.utils import timezone

from integrations.models import FailedTask

logger = logging.getLogger("integrations.sync")

MAX_TEXT = 20_000  # a traceback of a deep recursion must not fill the table


def error_line(exception: BaseException | None) -> str:
    """The exception's type and message in one line (at most 500 characters)."""
    if exception is None:
        return ""
    return f"{type(exception).__name__}: {exception}"[:500]


def record_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None,
                   einfo=None, **_):  # fmt: skip
    """task_failure receiver: store (or refresh) the task's row; never raises."""
    if not task_id:
        return
    request = getattr(sender, "request", None)
    values = {
        "task_name": getattr(sender, "name", "") or "",
        "task_args": repr(tuple(args or ())),
        "task_kwargs": repr(dict(kwargs or {})),
        "error": error_line(exception),
        "traceback": str(einfo or "")[:MAX_TEXT],
        "worker": (getattr(request, "hostname", None) or "")[:255],
        "failed_at": timezone.now(),
    }
    try:
        FailedTask.objects.update_or_create(task_id=task_id, defaults=values)
    except DatabaseError:
        # The result backend still has the failure for a day; the worker must go on.
        logger.exception(
            "Could not record the failure of task %s (%s)", task_id, values["task_name"]
        )
