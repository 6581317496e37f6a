"""Failed tasks as the operator sees them: one row per task that gave up, kept until someone
retries or dismisses it, or until INVSYNC_FAILED_TASK_RETENTION_DAYS have passed.

Celery's own result rows (django-celery-results) expire after a day (``result_expires``) and
``celery.backend_cleanup`` deletes them every night; this table is ours, so a failure stays
listed however Celery's result backend is set up. Imported by integrations.models.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FailedTask(models.Model):
    """A task that failed for good (its retries spent, or an error never retried)."""

    task_id = models.CharField(_("task id"), max_length=255, unique=True)
    task_name = models.CharField(_("task"), max_length=255, db_index=True)
    # repr() of the call's arguments; read back as literals only (panel/failed_tasks.py).
    task_args = models.TextField(_("arguments"), blank=True)
    task_kwargs = models.TextField(_("keyword arguments"), blank=True)
    error = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    failed_at = models.DateTimeField(_("failed at"), db_index=True)

    class Meta:
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        ordering = ["-failed_at", "-id"]

    def __str__(self):
        return f"{self.task_name} [{self.task_id}]"
