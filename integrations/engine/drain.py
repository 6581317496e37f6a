"""Sync passes over claimed links: the drain of dirty marks, and a chosen batch of links.

A pass claims links through the outbox, syncs them by the integration's mode (push to the
shop, or pull the shop into the ledger) and always releases its claims. What must happen next
(links that moved while held need another drain) is reported in the result, never enqueued
here: this package knows nothing of Celery.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from integrations.engine import failures, leases, outbox, pull, push, shop
from integrations.engine.recording import SyncResult
from integrations.models import Integration, SyncRun
from integrations.ratelimit.policy import BULK, LIVE

MAX_DRAIN_PASSES = 50
# One drain of an integration at a time: a second one would split the marks and the shop's
# rate with the first (more requests for the same changes, each of them later). The running
# drain renews its turn at every pass; a turn not renewed for this long belongs to a drain
# that is gone (or in one long pass), and the next drain runs anyway.
TURN = timedelta(seconds=5)


def sync_links(
    integration: Integration,
    link_ids: Iterable[int],
    *,
    run: SyncRun | None = None,
    token: str | None = None,
    meter=None,
    stop=None,
) -> SyncResult:
    """Claim these links (any state) and bring their shop rows to the ledger. Idempotent.

    Bulk work (a full run's chunk): its requests take the limiter's bulk lane, and
    ``stop()`` (asked before each write) ends the writes early. A shop failure is not
    raised: it is the result's ``error``, after everything done before it was recorded
    (``settled`` names the links finished with).
    """
    token = token or outbox.new_token()
    ids = list(link_ids)
    claimed = outbox.claim(integration, limit=len(ids), token=token, link_ids=ids)
    return sync_claimed(
        integration, claimed, run=run, token=token, meter=meter, lane=BULK, stop=stop
    )


def sync_claimed(
    integration: Integration,
    claimed: dict[int, int],
    *,
    run: SyncRun | None,
    token: str,
    meter=None,
    lane: str = BULK,
    stop=None,
) -> SyncResult:
    """Sync links this token has claimed, by the integration's mode; always releases them.

    An exception that is not the shop's (a bug, the database) fails the links with its reason
    before it goes on up: nothing is left claimed or silently unsynced.
    """
    if not claimed:
        return SyncResult()
    try:
        if integration.mode == Integration.Mode.PRESTASHOP_TO_LOCAL:
            return pull.pull_links(
                integration, claimed, run=run, token=token, meter=meter, lane=lane
            )
        return push.push_claimed(
            integration, claimed, run=run, token=token, meter=meter, lane=lane, stop=stop
        )
    except Exception as exc:
        failures.record_crash(integration, claimed, exc)
        raise
    finally:
        outbox.release(claimed, token=token)


def drain(integration_id: int, *, token: str | None = None) -> SyncResult:
    """Sync every due dirty link of one integration, in chunk-sized passes. Idempotent.

    Live work: its requests take the limiter's live lane, ahead of any full sync's. One drain
    of an integration runs at a time (take_turn): one that finds another running returns
    ``deferred`` at once, leaving the marks to the running drain's next pass, and the caller
    must make sure a drain follows (the running one may have passed its last claim).
    A result with ``moved`` > 0 means links changed while this pass held them, and one with
    ``held`` > 0 that due links were held by another task (a full sync's chunk): either way
    they stay dirty, and the caller must make sure a drain comes for them. A shop failure
    stops the drain and is raised once what came before it is recorded (its links back off).
    """
    integration = Integration.objects.get(pk=integration_id)
    total = SyncResult()
    if not shop.pushes(integration):
        return total  # marks stay; enabling or un-halting the integration drains them
    token = token or outbox.new_token()
    if not take_turn(integration_id, token):
        return SyncResult(deferred=1)  # the running drain's next pass takes these marks
    seen: set[int] = set()
    try:
        with leases.Lease(token):
            for _pass in range(MAX_DRAIN_PASSES):
                claimed = outbox.claim(
                    integration, limit=integration.chunk_size, token=token, exclude=seen
                )
                if not claimed:
                    break
                seen.update(claimed)
                total = total + sync_claimed(integration, claimed, run=None, token=token, lane=LIVE)
                if total.error is not None:
                    raise total.error
                take_turn(integration_id, token)  # renewed after each pass, before the next
    finally:
        end_turn(integration_id, token)
    return total + SyncResult(held=outbox.held_elsewhere(integration, token=token))


def take_turn(integration_id: int, token: str) -> bool:
    """Become (or stay) the integration's running drain for TURN; False while another
    drain's turn holds. A conditional UPDATE, so two drains never both take it."""
    now = timezone.now()
    free = Q(drain_turn_until__isnull=True) | Q(drain_turn_until__lte=now) | Q(drain_token=token)
    return bool(
        Integration.objects.filter(free, pk=integration_id).update(
            drain_token=token, drain_turn_until=now + TURN
        )
    )


def end_turn(integration_id: int, token: str) -> None:
    """Let the next drain run at once (only this drain's own turn is ended)."""
    Integration.objects.filter(pk=integration_id, drain_token=token).update(
        drain_token="", drain_turn_until=None
    )
