"""Failed tasks (FailedTask rows, see integrations/failure_log.py): list, retry, dismiss, flush.

Shared by the admin and ``manage.py sync_failed``, the equivalents of the old
``queue:failed``, ``queue:retry ID|all``, ``queue:forget ID`` and ``queue:flush``. The stored
arguments are repr() strings (or JSON); they are parsed as literals only (json,
ast.literal_eval), never evaluated. Rows stay until retried or dismissed, or for
INVSYNC_FAILED_TASK_RETENTION_DAYS (the periodic drain prunes older ones: engine/periodic).
"""

import ast
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from integrations.models import FailedTask
from invsync.celery import app


class RetryRefused(Exception):
    """This failure cannot be sent again (unknown task, unreadable arguments)."""


@dataclass
class RetryOutcome:
    retried: list[tuple[int, str]] = field(default_factory=list)  # (row id, new task id)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (row id, reason)


def failures():
    """Every failed task waiting for someone, newest first."""
    return FailedTask.objects.order_by("-failed_at", "-id")


def find_failure(reference: str) -> FailedTask | None:
    """A failure by its row id ("17") or its Celery task id (a UUID)."""
    rows = failures()
    if reference.isdigit():
        return rows.filter(pk=int(reference)).first()
    return rows.filter(task_id=reference).first()


def error_summary(row: FailedTask) -> str:
    """The exception's type and message, in one line."""
    return row.error


def _literal(text: str | None, kind: type):
    """A stored args/kwargs value: its repr(), or JSON of the value or of its repr()."""
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


def stored_call(row: FailedTask) -> tuple[str, tuple, dict]:
    """The task name and arguments to send again; RetryRefused if they cannot be trusted."""
    name = row.task_name or ""
    # A web process has not imported the task modules yet; the worker's loader does this.
    app.loader.import_default_modules()
    if name not in app.tasks:
        raise RetryRefused(_("unknown task %(name)r") % {"name": name})
    return name, _literal(row.task_args, tuple), _literal(row.task_kwargs, dict)


def retry(row: FailedTask) -> str:
    """Send the failed task again with its stored arguments; forget the failure. New task id."""
    name, args, kwargs = stored_call(row)
    kwargs.pop("retries", None)  # the spent retry budgets: a retry by hand starts afresh
    sent = app.send_task(name, args=args, kwargs=kwargs)
    row.delete()
    return sent.id


def retry_many(rows) -> RetryOutcome:
    """Retry each failure on its own: one unreadable row does not stop the others."""
    outcome = RetryOutcome()
    for row in rows:
        row_id = row.pk
        try:
            outcome.retried.append((row_id, retry(row)))
        except RetryRefused as exc:
            outcome.refused.append((row_id, str(exc)))
        except OperationalError as exc:
            outcome.refused.append(
                (row_id, _("the broker is unreachable: %(error)s") % {"error": exc})
            )
    return outcome


def dismiss(row: FailedTask) -> None:
    """Forget one failure without sending it again (someone dealt with it)."""
    row.delete()


def flush() -> int:
    """Delete every failed task; returns how many."""
    deleted, _per_model = failures().delete()
    return deleted
