"""The banner every admin page shows above its content while an integration is stopped.

A context processor (settings.TEMPLATES): the query runs only when a page's template reads
``stopped_integrations``, which the admin's base_site.html does; nothing for a user who may
not see the integrations.
"""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from integrations.models import Integration

VIEW_PERMISSION = "integrations.view_integration"


def stopped_integrations(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm(VIEW_PERMISSION):
        return {}
    return {"stopped_integrations": SimpleLazyObject(stopped)}


def stopped() -> list[dict]:
    """Each stopped integration: its name, why it stopped, and its page."""
    return [
        {
            "name": integration.name,
            "reason": integration.last_error,
            "since": integration.halted_at,
            "url": reverse("admin:integrations_integration_change", args=[integration.pk]),
        }
        for integration in Integration.objects.filter(halted_at__isnull=False).order_by("name")
    ]
