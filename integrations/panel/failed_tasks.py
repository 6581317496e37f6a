"""Failed tasks (django-celery-results rows with status FAILURE): list, retry, flush.

Shared by the admin actions and ``manage.py sync_failed``, the equivalents of the old
``queue:failed``, ``queue:retry ID|all`` and ``queue:flush``. With CELERY_RESULT_EXTENDED the
backend stores each task's name and arguments: as JSON holding either the values or their
repr() string. They are parsed as literals only (json, ast.literal_eval), never evaluated.
"""

import ast
import json
from dataclasses import dataclass, field

from celery import states
from django.utils.translation import gettext as _
from django_celery_results.models import TaskResult
from kombu.exceptions import OperationalError

from invsync.celery import app


class RetryRefused(Exception):
    """This failure cannot be sent again (unknown task, unreadable arguments)."""


@dataclass
class RetryOutcome:
    retried: list[tuple[int, str]] = field(default_factory=list)  # (row id, new task id)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (row id, reason)


def failures():
    """Every failed task, newest first."""
    return TaskResult.objects.filter(status=states.FAILURE).order_by("-date_done", "-id")


def find_failure(reference: str) -> TaskResult | None:
    """A failure by its row id ("17") or its Celery task id (a UUID)."""
    rows = failures()
    if reference.isdigit():
        return rows.filter(pk=int(reference)).first()
    return rows.filter(task_id=reference).first()


def error_summary(result: TaskResult) -> str:
    """The exception's type and message from the stored result, in one line."""
    try:
        stored = json.loads(result.result or "null")
    except ValueError:
        return (result.result or "")[:500]
    if isinstance(stored, dict) and "exc_type" in stored:
        message = stored.get("exc_message")
        if isinstance(message, list | tuple):
            message = " ".join(str(part) for part in message)
        return f"{stored['exc_type']}: {message or ''}"[:500]
    return str(stored)[:500]


def _literal(text: str | None, kind: type):
    """A stored args/kwargs value: JSON of the value, or JSON of its repr()."""
    if text in (None, ""):
        return kind()
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value) if value.strip() else kind()
        except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
            raise RetryRefused(_("the stored arguments cannot be read")) from exc
    if kind is tuple and isinstance(value, list | tuple):
        return tuple(value)
    if kind is dict and isinstance(value, dict):
        return value
    raise RetryRefused(_("the stored arguments cannot be read"))


def stored_call(result: TaskResult) -> tuple[str, tuple, dict]:
    """The task name and arguments to send again; RetryRefused if they cannot be trusted."""
    name = result.task_name or ""
    # A web process has not imported the task modules yet; the worker's loader does this.
    app.loader.import_default_modules()
    if name not in app.tasks:
        raise RetryRefused(_("unknown task %(name)r") % {"name": name})
    return name, _literal(result.task_args, tuple), _literal(result.task_kwargs, dict)


def retry(result: TaskResult) -> str:
    """Send the failed task again with its stored arguments; forget the failure. New task id."""
    name, args, kwargs = stored_call(result)
    kwargs.pop("retries", None)  # the spent retry budgets: a retry by hand starts afresh
    sent = app.send_task(name, args=args, kwargs=kwargs)
    result.delete()
    return sent.id


def retry_many(results) -> RetryOutcome:
    """Retry each failure on its own: one unreadable row does not stop the others."""
    outcome = RetryOutcome()
    for result in results:
        row_id = result.pk
        try:
            outcome.retried.append((row_id, retry(result)))
        except RetryRefused as exc:
            outcome.refused.append((row_id, str(exc)))
        except OperationalError as exc:
            outcome.refused.append(
                (row_id, _("the broker is unreachable: %(error)s") % {"error": exc})
            )
    return outcome


def flush() -> int:
    """Delete every failed task; returns how many."""
    deleted, _per_model = failures().delete()
    return deleted
