"""Sync chosen links now: the admin's "sync selected" action and the discrepancy report's fix.

The links are marked dirty through the outbox (version + 1, so no claim in flight can clear
them with an older value), their back-off is lifted (an operator asking means "now", whatever
the state: failing and broken links included), and one drain per integration is enqueued after
commit by the caller (tasks.resync_links). If the broker is down the marks stay and the
periodic drain sends them.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, F, Value, When

from integrations.engine import outbox
from integrations.models import Integration, ProductLink


@dataclass
class ResyncOutcome:
    queued: int = 0  # links marked and due now
    skipped: dict[int, int] = field(default_factory=dict)  # integration id -> links not pushed
    drain_ids: set[int] = field(default_factory=set)  # integrations to drain after commit


def mark_for_resync(link_ids: Iterable[int]) -> ResyncOutcome:
    """Mark these links dirty and due now; the outcome names the integrations to drain."""
    outcome = ResyncOutcome()
    by_integration: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, integration_id, product_id in ProductLink.objects.filter(
        pk__in=list(link_ids)
    ).values_list("pk", "integration_id", "product_id"):
        by_integration[integration_id].append((pk, product_id))
    pushing = set(
        Integration.objects.filter(
            pk__in=by_integration, mode=Integration.Mode.LOCAL_TO_PRESTA
        ).values_list("pk", flat=True)
    )
    with transaction.atomic():
        for integration_id, links in sorted(by_integration.items()):
            if integration_id not in pushing:
                outcome.skipped[integration_id] = len(links)
                continue
            outbox.mark([product_id for _, product_id in links], integration_ids=[integration_id])
            outcome.queued += make_due([pk for pk, _ in links])
    outcome.drain_ids = pushing
    return outcome


def make_due(link_ids: list[int]) -> int:
    """Lift the back-off of these links and let a drain take broken ones again."""
    return ProductLink.objects.filter(pk__in=link_ids).update(
        next_attempt_at=None,
        state=Case(
            When(state=ProductLink.State.BROKEN, then=Value(ProductLink.State.DIRTY)),
            default=F("state"),
        ),
    )
