"""What the operators were told: one row per event (a stop, a run with errors, a failure left
for an hour), so each is notified once, and whether the e-mail or webhook went out.

Re-exported by integrations.models; the integration is referred to by name.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Alert(models.Model):
    """One event worth telling the integration's addresses about, and its delivery."""

    class Kind(models.TextChoices):
        STOP = "stop", _("sync stopped")
        RUN_ERRORS = "run_errors", _("run ended with errors")
        OLD_FAILURE = "old_failure", _("failure left for an hour")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("not delivered")
        NO_RECIPIENTS = "no_recipients", _("no address configured")
        # Django's console mail backend (no EMAIL_HOST): the e-mail went to the worker's log.
        LOGGED = "logged", _("only in the worker's log (no EMAIL_HOST)")

    integration = models.ForeignKey(
        "integrations.Integration",
        models.CASCADE,
        related_name="alerts",
        verbose_name=_("integration"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # What the event is ("stop:<time>", "run:<id>", "link:<id>:<since>", "task:<id>"): the
    # unique key that keeps it from being notified twice.
    key = models.CharField(_("event"), max_length=120)
    text = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    recipients = models.TextField(_("sent to"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("delivery error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "key"], name="alert_unique_event"),
        ]

    def __str__(self):
        return f"{self.integration}: {self.get_kind_display()}"
