"""Dirty marks on ProductLink are the outbox: mark, claim, clear only if unchanged, reap.

A mark is a flag plus a version counter written in the same transaction as the stock
change. A worker claims links with a conditional UPDATE (two workers never hold the same
link), reads the ledger *after* claiming, and clears a mark only if its version did not move
meanwhile, so a late or repeated task can never leave a stale value behind.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.engine.per_row import ValueByPk
from integrations.models import Integration, ProductLink

# Links in prestashop_to_local mode take the shop as the truth: a ledger change must not be
# pushed back (that is how a document booked from the shop would bounce back to it).
PUSHING_MODES = (Integration.Mode.LOCAL_TO_PRESTA, Integration.Mode.DISABLED)
# A new mark does not hide why a link failed or that its row must be read again.
KEPT_STATES = (ProductLink.State.BROKEN, ProductLink.State.FAILING, ProductLink.State.UNCERTAIN)
DIRTY = ProductLink.State.DIRTY


def lease_timeout() -> timedelta:
    """How long a claim (or a chunk) lives without a renewal (INVSYNC_LEASE_TIMEOUT).

    A live task renews its claims every INVSYNC_LEASE_RENEW_SECONDS (leases.Lease), so a claim
    not renewed for this long belongs to a worker that is gone: any pass may take it.
    """
    return timedelta(seconds=settings.INVSYNC_LEASE_TIMEOUT)


def new_token() -> str:
    """A claim token for a caller that is not a Celery task."""
    return f"local-{uuid.uuid4().hex}"


def affected_integrations(warehouse_ids: Iterable[int] | None) -> Q:
    """Links of integrations in a pushing mode fed by any of the warehouses (None: any)."""
    condition = Q(integration__mode__in=PUSHING_MODES)
    if warehouse_ids is not None:
        condition &= Q(integration__warehouses__isnull=True) | Q(
            integration__warehouses__in=list(warehouse_ids)
        )
    return condition


def mark(
    product_ids: Iterable[int],
    *,
    integration_ids: Iterable[int] | None = None,
    warehouse_ids: Iterable[int] | None = None,
    since: datetime | None = None,
) -> set[int]:
    """Mark the links of these products dirty (version + 1); returns the integration ids touched.

    Call inside the stock change's transaction. Rows are locked in primary-key order first, so
    two approvals marking overlapping products wait for each other instead of deadlocking.
    """
    links = ProductLink.objects.filter(product_id__in=list(product_ids)).filter(
        affected_integrations(warehouse_ids)
    )
    if integration_ids is not None:
        links = links.filter(integration_id__in=list(integration_ids))
    locked = list(
        ProductLink.objects.select_for_update()
        .filter(pk__in=links.values("pk"))
        .order_by("pk")
        .values_list("pk", "integration_id")
    )
    if not locked:
        return set()
    ProductLink.objects.filter(pk__in=[pk for pk, _ in locked]).update(
        dirty=True,
        version=F("version") + 1,
        dirty_since=Coalesce(F("dirty_since"), Value(since or timezone.now())),
        state=Case(When(state__in=KEPT_STATES, then=F("state")), default=Value(DIRTY)),
    )
    return {integration_id for _, integration_id in locked}


def due_links(integration: Integration, *, now: datetime | None = None):
    """Dirty links a drain should sync now: not broken, not backing off."""
    now = now or timezone.now()
    return (
        ProductLink.objects.filter(integration=integration, dirty=True)
        .exclude(state=ProductLink.State.BROKEN)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )


def _claimable(token: str, now: datetime) -> Q:
    return (
        Q(claimed_at__isnull=True) | Q(claimed_by=token) | Q(claimed_at__lt=now - lease_timeout())
    )


def claim(
    integration: Integration,
    *,
    limit: int,
    token: str,
    link_ids: Iterable[int] | None = None,
    exclude: Iterable[int] = (),
) -> dict[int, int]:
    """Claim links for one sync pass; returns {link_id: version at claim time}.

    Without ``link_ids`` it takes up to ``limit`` due dirty links (oldest first); with them it
    takes those links whatever their state (a full sync re-checks clean and broken links too).
    Links held by another live claim are skipped: that worker is syncing them already.
    ``exclude`` keeps links a drain has already synced once out of its later passes.
    """
    if not token:
        raise ValueError("a claim needs a non-empty token")
    now = timezone.now()
    if link_ids is None:
        candidates = due_links(integration, now=now).filter(_claimable(token, now))
        if exclude:
            candidates = candidates.exclude(pk__in=list(exclude))
        ids = list(candidates.order_by("dirty_since", "pk").values_list("pk", flat=True)[:limit])
    else:
        ids = list(link_ids)[:limit]
    if not ids:
        return {}
    # The conditional UPDATE is the claim: on PostgreSQL a concurrent claimer waits for the
    # row and re-checks the condition, so at most one token wins each link.
    ProductLink.objects.filter(pk__in=ids, integration=integration).filter(
        _claimable(token, now)
    ).update(claimed_at=now, claimed_by=token)
    return dict(
        ProductLink.objects.filter(pk__in=ids, claimed_by=token).values_list("pk", "version")
    )


# A drain comes back for due links another task holds (a full sync's chunk writing them)
# while that claim is younger than this; older holds wait for the reaper and the periodic drain.
HELD_RECHECK = timedelta(minutes=10)


def held_elsewhere(integration: Integration, *, token: str, now: datetime | None = None) -> int:
    """Due dirty links of the integration held by another task's recent claim."""
    now = now or timezone.now()
    return (
        due_links(integration, now=now)
        .exclude(_claimable(token, now))
        .filter(claimed_at__gte=now - HELD_RECHECK)
        .count()
    )


# A drain sent (or due) this recently takes every due mark of its integration when it runs.
DRAIN_HANDOVER = timedelta(minutes=1)


def drain_sent_lately(integration: Integration, *, now: datetime | None = None) -> bool:
    """Whether a drain of this integration is due or was sent within DRAIN_HANDOVER."""
    now = now or timezone.now()
    due_at = Integration.objects.filter(pk=integration.pk).values_list("drain_due_at", flat=True)
    due_at = due_at.first()
    return due_at is not None and due_at >= now - DRAIN_HANDOVER


def release_if_moved(integration: Integration, link_versions: dict[int, int], *, token: str):
    """A check a bulk pass makes before each write: ``moved(link_ids)`` releases and returns
    those of the links a stock change touched (version moved since the claim, or a due mark a
    drain sent lately will send). That drain writes the fresh quantity where the pass would
    write the one it planned, and need not wait for the pass to reach them."""

    def moved(link_ids: list[int]) -> set[int]:
        now = timezone.now()
        touched = ~Q(version=ValueByPk({pk: link_versions[pk] for pk in link_ids}))
        if drain_sent_lately(integration, now=now):
            touched |= Q(pk__in=due_links(integration, now=now).values("pk"))
        found = set(
            ProductLink.objects.filter(pk__in=link_ids, claimed_by=token)
            .filter(touched)
            .values_list("pk", flat=True)
        )
        if found:
            release(found, token=token)
        return found

    return moved


def clear_if_unchanged(link_versions: dict[int, int], *, token: str | None = None) -> int:
    """Clear the marks whose version is still the claimed one; returns how many were cleared.

    One UPDATE whatever the number of links: the expected version per link is a CASE.
    A link changed meanwhile stays dirty for the next pass.
    """
    if not link_versions:
        return 0
    expected = ValueByPk(link_versions)
    links = ProductLink.objects.filter(pk__in=list(link_versions))
    if token is not None:
        links = links.filter(claimed_by=token)
    now = timezone.now()
    return links.filter(version=expected).update(
        dirty=False,
        dirty_since=None,
        # A row written whose earlier write lost its answer stays uncertain until it is read
        # again (recheck_at): that late write may still land over this one.
        state=Case(
            When(recheck_at__gt=now, then=Value(ProductLink.State.UNCERTAIN)),
            default=Value(ProductLink.State.OK),
        ),
        failed_attempts=0,
        next_attempt_at=None,
        last_error="",
    )


def release(link_ids: Iterable[int], *, token: str) -> int:
    """Give back this token's claims (whatever happened to the links)."""
    return ProductLink.objects.filter(pk__in=list(link_ids), claimed_by=token).update(
        claimed_at=None, claimed_by=""
    )


def release_token(token: str) -> int:
    """Give back every claim of this token (a task that is gone)."""
    if not token:
        return 0
    return ProductLink.objects.filter(claimed_by=token).update(claimed_at=None, claimed_by="")


def renew(token: str, *, now: datetime | None = None) -> int:
    """Renew this token's claims (its lease on them); returns how many it holds."""
    return ProductLink.objects.filter(claimed_by=token).update(claimed_at=now or timezone.now())


def reap_stale_claims(*, now: datetime | None = None) -> int:
    """Free claims whose lease was not renewed in time (their worker is gone); returns the count."""
    now = now or timezone.now()
    return ProductLink.objects.filter(claimed_at__lt=now - lease_timeout()).update(
        claimed_at=None, claimed_by=""
    )


def make_rechecks_due(*, now: datetime | None = None) -> int:
    """Mark dirty (and due now) the links whose uncertain write's grace is over; returns how many.

    The version moves, so no pass holding them can clear them with a read made before; the drain
    reads the row again and writes it if a late write changed it.
    """
    now = now or timezone.now()
    return ProductLink.objects.filter(
        recheck_at__lte=now, integration__mode__in=PUSHING_MODES
    ).update(
        recheck_at=None,
        dirty=True,
        version=F("version") + 1,
        dirty_since=Coalesce(F("dirty_since"), Value(now)),
        next_attempt_at=None,
        state=Case(When(state=ProductLink.State.UNCERTAIN, then=Value(DIRTY)), default=F("state")),
    )


def pending_integration_ids(*, now: datetime | None = None) -> list[int]:
    """Active, running integrations in local_to_presta mode with due dirty links."""
    now = now or timezone.now()
    return list(
        ProductLink.objects.filter(
            dirty=True,
            integration__active=True,
            integration__halted_at__isnull=True,
            integration__mode=Integration.Mode.LOCAL_TO_PRESTA,
        )
        .exclude(state=ProductLink.State.BROKEN)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by()
        .values_list("integration_id", flat=True)
        .distinct()
    )
