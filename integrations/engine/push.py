"""Pushing: write the planned changes to the shop, check they were applied, record it.

write_changes() and verify_writes() only talk to the shop; push_claimed() reads the ledger and
the shop for claimed links, writes only what differs (several rows per request where the
shop takes it: batch_writes.py) and records every outcome. No network call happens inside a
database transaction.
"""

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from integrations.engine import batching, failures, outbox, recording, shop
from integrations.engine.batch_writes import push_in_batches
from integrations.engine.plan import (
    PRODUCT_NOT_FOUND,
    Change,
    desired_quantities,
    plan_changes,
    targets_of,
)
from integrations.engine.writes import STOCK_ROW_NOT_FOUND, PushResult, push_changes
from integrations.models import Integration, SyncRun
from integrations.prestashop import PrestaShopError
from integrations.ratelimit.policy import BULK

__all__ = ["STOCK_ROW_NOT_FOUND", "PushResult", "push_changes", "verify_writes", "write_changes"]

NOT_APPLIED = _("accepted but not applied")


def write_changes(
    client,
    changes: Sequence[Change],
    *,
    integration: Integration,
    timer=None,
    wrote=None,
    stop=None,
    hand_over=None,
) -> PushResult:
    """Write the changes in as few requests as the shop takes: several rows per request
    where the integration uses multi-row writes, else (or for a single row) one by one.

    ``wrote()``, if given, is called once per accepted row (live counts). ``stop()`` and
    ``hand_over(link ids)`` are asked before each request (see push_changes).
    """
    if len(changes) < 2 or not batching.uses_batches(integration):
        return push_changes(client, changes, wrote=wrote, stop=stop, hand_over=hand_over)
    timer = timer or batching.ExchangeTimer()
    result = push_in_batches(
        client, changes, integration=integration, timer=timer, stop=stop, hand_over=hand_over
    )
    for _row in result.written if wrote is not None else ():
        wrote()
    return result


def verify_writes(client, push: PushResult) -> None:
    """Re-read the written rows in one bulk read: a row still holding another quantity was
    accepted but not applied (a module or an override may undo a write; its echo cannot tell).

    Costs one list read per pass that wrote something; INVSYNC_VERIFY_WRITES=False skips it.
    If the re-read fails, the writes stay unverified: their marks are kept for the retry.
    """
    if not push.written or not settings.INVSYNC_VERIFY_WRITES:
        return
    if push.aborted is not None:
        push.unverified = list(push.written)
        return
    try:
        read = client.fetch_stock({row.id_product for row in push.written.values()})
    except PrestaShopError as exc:
        push.unverified, push.aborted = list(push.written), exc
        return
    for link_id, sent in list(push.written.items()):
        row = read.rows.get(sent.key)
        if row is None:
            push.broken[link_id] = str(PRODUCT_NOT_FOUND)
        elif row.quantity != sent.quantity:
            push.not_applied[link_id] = (
                f"{NOT_APPLIED}: {sent.quantity} → {row.quantity} (id_stock_available {row.id})"
            )
        else:
            continue
        del push.written[link_id]


def uncertain_links(changes: Iterable[Change], rows: set[int]) -> set[int]:
    """The links whose row had a write that lost its answer (client.uncertain_rows)."""
    return {change.link_id for change in changes if change.row.id in rows}


def push_claimed(
    integration: Integration,
    claimed: dict[int, int],
    *,
    run: SyncRun | None,
    token: str,
    meter=None,
    lane: str = BULK,
    stop=None,
) -> recording.SyncResult:
    """Bring the claimed links' shop rows to the ledger and record every outcome.

    Never raises a shop failure: what stopped the pass is in the result's ``error``, after
    everything done before it was recorded. ``meter`` (leases.Meter) counts live; ``lane``
    is the rate limiter's lane for these requests; ``stop`` ends the writes early (see
    push_changes).
    """
    links = recording.load_links(claimed)
    try:
        desired = desired_quantities(integration, [link.product_id for link in links], lane=lane)
    except PrestaShopError as exc:  # the shop's orders could not be read: write nothing
        failures.record_abort(integration, links, exc)
        return recording.SyncResult(error=exc)
    timer = batching.ExchangeTimer()
    client = shop.client_for(integration, lane=lane, wrap_limiter=timer.wrap)
    if meter is not None:
        meter.track(client)
    try:
        try:
            read = client.fetch_stock({link.ps_product_id for link in links})
        except PrestaShopError as exc:
            failures.record_abort(integration, links, exc)
            return recording.SyncResult(requests=client.requests_sent, error=exc)
        plan = plan_changes(targets_of(links), desired, read)
        moved_early = recording.settle_in_sync(claimed, plan, token=token) if plan.changes else None
        push = _write_planned(client, plan, claimed, integration, run, token, timer, meter, stop)
        requests = client.requests_sent
    finally:
        client.close()
    return _record(integration, links, claimed, plan, push, run, token, requests, moved_early)


def _record(integration, links, claimed, plan, push, run, token, requests, moved_early):
    """Record the pass (recording.record_push), and a shop-wide failure on the links it left."""
    outcome = recording.record_push(
        integration,
        links,
        claimed,
        plan,
        push,
        run=run,
        token=token,
        requests=requests,
        moved_early=moved_early,
    )
    if push.aborted is not None:
        untouched = [link for link in links if link.pk in set(push.untouched)]
        failures.record_abort(integration, untouched, push.aborted)
    return outcome


def _write_planned(client, plan, claimed, integration, run, token, timer, meter, stop):
    """Write a pass's planned changes and check them (the links in sync were let go already,
    so a drain for a document booked meanwhile does not wait for these writes to end).

    A full sync's chunk writes what it planned at its read; a link whose mark moved since (a
    document booked meanwhile) goes to the drain on its way instead (hand-over).
    """
    hand_over = outbox.release_if_moved(integration, claimed, token=token) if run else None
    push = write_changes(
        client,
        plan.changes,
        integration=integration,
        timer=timer,
        wrote=meter.wrote if meter else None,
        stop=stop,
        hand_over=hand_over,
    )
    verify_writes(client, push)
    push.uncertain = uncertain_links(plan.changes, client.uncertain_rows)
    return push
