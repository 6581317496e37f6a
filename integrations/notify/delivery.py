"""Sending the recorded alerts: one e-mail and one webhook POST per integration and minute.

E-mail goes through Django's mail settings (EMAIL_*), the webhook is a JSON POST to the
integration's URL. An alert counts as sent when one of the configured ways delivered it; a
failed delivery is tried again each minute, INVSYNC_ALERT_ATTEMPTS times in all. Without a
mail server (Django's console backend) an e-mail only reaches the worker's log, and the
alert says so ("logged") instead of "sent". No network call happens inside a transaction:
the alerts are claimed (status "sending") first.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.models import Alert, Integration, email_list

logger = logging.getLogger("integrations.alerts")

# A claim older than this belongs to a worker that died while sending: the alert goes back.
STALE_CLAIM = timedelta(minutes=10)
SEVERITY = [Alert.Kind.STOP, Alert.Kind.RUN_ERRORS, Alert.Kind.OLD_FAILURE]
LISTED = 30  # alert lines in one message; the rest are counted
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"  # no EMAIL_HOST


@dataclass
class Outcome:
    delivered: list[str] = field(default_factory=list)  # "e-mail: a@b", "webhook: https://…"
    logged: list[str] = field(default_factory=list)  # e-mails only written to the log
    errors: list[str] = field(default_factory=list)


def send_pending() -> int:
    """Send every integration's waiting alerts; returns how many alerts were handled."""
    Alert.objects.filter(
        status=Alert.Status.SENDING, sent_at__lt=timezone.now() - STALE_CLAIM
    ).update(status=Alert.Status.PENDING)
    handled = 0
    waiting = Alert.objects.filter(status=Alert.Status.PENDING).values_list("integration_id")
    for integration in Integration.objects.filter(pk__in=waiting.distinct()).order_by("pk"):
        handled += send_for(integration)
    return handled


def send_for(integration: Integration) -> int:
    alerts = claim(integration)
    if not alerts:
        return 0
    emails, webhook = recipients(integration)
    if not emails and not webhook:
        finish(alerts, status=Alert.Status.NO_RECIPIENTS)
        return len(alerts)
    subject, body = compose(integration, alerts)
    outcome = Outcome()
    if emails:
        deliver_email(outcome, emails, subject, body)
    if webhook:
        deliver_webhook(outcome, webhook, payload(integration, alerts, subject))
    record(alerts, outcome)
    return len(alerts)


def claim(integration: Integration) -> list[Alert]:
    """Take the integration's waiting alerts (status "sending"): no other task sends them."""
    with transaction.atomic():
        alerts = list(
            Alert.objects.select_for_update(skip_locked=True)
            .filter(integration=integration, status=Alert.Status.PENDING)
            .order_by("pk")
        )
        Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(
            status=Alert.Status.SENDING, sent_at=timezone.now(), attempts=F("attempts") + 1
        )
    for alert in alerts:
        alert.attempts += 1
    return alerts


def recipients(integration: Integration) -> tuple[list[str], str]:
    """(e-mail addresses: the integration's and INVSYNC_ALERT_EMAILS, the webhook URL)."""
    emails = [*email_list(integration.notify_emails), *settings.INVSYNC_ALERT_EMAILS]
    return list(dict.fromkeys(emails)), integration.notify_webhook_url


def compose(integration: Integration, alerts: list[Alert]) -> tuple[str, str]:
    """The subject (the gravest kind, how many) and the body (a line per alert)."""
    kinds = {alert.kind for alert in alerts}
    gravest = next(kind for kind in SEVERITY if kind in kinds)
    subject = _("invsync: %(name)s: %(what)s") % {
        "name": integration.name,
        "what": Alert.Kind(gravest).label,
    }
    if len(alerts) > 1:
        subject += " " + _("(%(count)d notifications)") % {"count": len(alerts)}
    lines = [f"- {alert.text}" for alert in alerts[:LISTED]]
    if len(alerts) > LISTED:
        lines.append(_("… and %(count)d more.") % {"count": len(alerts) - LISTED})
    url = admin_url(integration)
    if url:
        lines += ["", _("The integration in the admin: %(url)s") % {"url": url}]
    return subject, "\n".join(lines) + "\n"


def admin_url(integration: Integration) -> str:
    """The integration's admin page, absolute when INVSYNC_SITE_URL is set, else ""."""
    site = settings.INVSYNC_SITE_URL.rstrip("/")
    path = reverse("admin:integrations_integration_change", args=[integration.pk])
    return f"{site}{path}" if site else ""


def payload(integration: Integration, alerts: list[Alert], subject: str) -> dict:
    return {
        "subject": subject,
        "integration": {"id": integration.pk, "name": integration.name},
        "url": admin_url(integration),
        "alerts": [
            {
                "kind": alert.kind,
                "event": alert.key,
                "text": alert.text,
                "created_at": alert.created_at.isoformat(),
            }
            for alert in alerts
        ],
    }


def deliver_email(outcome: Outcome, emails: list[str], subject: str, body: str) -> None:
    try:
        send_mail(subject, body, None, emails, fail_silently=False)
    except Exception as error:  # SMTP, DNS, TLS: recorded on the alert, tried again later
        outcome.errors.append(_("e-mail: %(error)s") % {"error": one_line(error)})
    else:
        sent = [f"e-mail: {address}" for address in emails]
        if settings.EMAIL_BACKEND == CONSOLE_BACKEND:
            outcome.logged += sent
        else:
            outcome.delivered += sent


def deliver_webhook(outcome: Outcome, url: str, body: dict) -> None:
    try:
        response = requests.post(
            url,
            json=body,
            timeout=settings.INVSYNC_ALERT_WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        outcome.errors.append(_("webhook: %(error)s") % {"error": one_line(error)})
        return
    if 200 <= response.status_code < 300:
        outcome.delivered.append(f"webhook: {url}")
    else:
        outcome.errors.append(
            _("webhook: the address answered HTTP %(status)d") % {"status": response.status_code}
        )


def record(alerts: list[Alert], outcome: Outcome) -> None:
    """Sent if one way delivered; "logged" if the e-mail only reached the worker's log and the
    webhook (if any) did not fail; otherwise waiting for the next minute, or failed at last."""
    failed = list(outcome.errors)
    if outcome.logged:
        outcome.errors.append(_("e-mail: EMAIL_HOST is not set, written to the worker's log only"))
    error = "; ".join(outcome.errors)
    if outcome.delivered or (outcome.logged and not failed):
        status = Alert.Status.SENT if outcome.delivered else Alert.Status.LOGGED
        shown = outcome.delivered or outcome.logged
        finish(alerts, status=status, recipients=", ".join(shown), error=error)
        return
    logger.warning("Notification not delivered: alerts=%s error=%s", len(alerts), error)
    spent = [alert for alert in alerts if alert.attempts >= settings.INVSYNC_ALERT_ATTEMPTS]
    finish(spent, status=Alert.Status.FAILED, error=error)
    finish([a for a in alerts if a not in spent], status=Alert.Status.PENDING, error=error)


def finish(alerts: list[Alert], *, status: str, **values) -> None:
    sent_at = timezone.now() if status == Alert.Status.SENT else None
    Alert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(
        status=status, sent_at=sent_at, **values
    )


def one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:300]
