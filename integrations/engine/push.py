"""Pushing: write the planned changes to the shop, check they were applied, record it.

push_changes() and verify_writes() only talk to the shop; push_claimed() reads the ledger and
the shop for claimed links, writes only what differs and records every outcome. No network
call happens inside a database transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from integrations.engine import outbox, recording, shop
from integrations.engine.plan import (
    PRODUCT_NOT_FOUND,
    Change,
    desired_quantities,
    plan_changes,
    targets_of,
)
from integrations.models import Integration, SyncRun
from integrations.prestashop import (
    PrestaShopError,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRow,
    StockRowNotFound,
    WriteNotApplied,
)
from integrations.ratelimit.policy import BULK
from integrations.reasons import describe_failure

STOCK_ROW_NOT_FOUND = _("stock row not found in the shop")
NOT_APPLIED = _("accepted but not applied")


@dataclass
class PushResult:
    written: dict[int, StockRow] = field(default_factory=dict)  # link id -> echoed row
    not_applied: dict[int, str] = field(default_factory=dict)
    broken: dict[int, str] = field(default_factory=dict)
    untouched: list[int] = field(default_factory=list)  # not attempted after an abort
    unverified: list[int] = field(default_factory=list)  # written, but the re-read failed
    handed_over: list[int] = field(default_factory=list)  # left to a drain (a newer change)
    aborted: PrestaShopError | None = None


def push_changes(client, changes: Iterable[Change], *, stop=None, hand_over=None) -> PushResult:
    """Write each change; stop at the first shop-wide failure (rate limit, key, outage), or
    when ``stop()`` (asked before each write) says so: the rest are left untouched. Before
    each write ``hand_over(link ids still to write)`` names those not to write any more (a
    drain sends a newer quantity)."""
    result = PushResult()
    pending = list(changes)
    handed: set[int] = set()
    for position, change in enumerate(pending):
        if stop is not None and stop():
            result.untouched = [c.link_id for c in pending[position:] if c.link_id not in handed]
            break
        if hand_over is not None:
            handed |= hand_over([c.link_id for c in pending[position:] if c.link_id not in handed])
        if change.link_id in handed:
            continue
        try:
            result.written[change.link_id] = client.write_quantity(change.row, change.quantity)
        except WriteNotApplied as exc:
            result.not_applied[change.link_id] = describe_failure(exc)
        except StockRowNotFound:
            result.broken[change.link_id] = str(STOCK_ROW_NOT_FOUND)
        except ShopPermanentError as exc:
            result.broken[change.link_id] = describe_failure(exc)
        except (ShopConfigError, ShopTemporaryError) as exc:
            result.aborted = exc
            result.untouched = [c.link_id for c in pending[position:] if c.link_id not in handed]
            break
    result.handed_over = sorted(handed)
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


def push_claimed(
    integration: Integration,
    claimed: dict[int, int],
    *,
    run: SyncRun | None,
    token: str,
    lane: str = BULK,
    stop=None,
) -> recording.SyncResult:
    """Bring the claimed links' shop rows to the ledger and record every outcome.

    ``lane`` is the rate limiter's lane for these requests; ``stop`` ends the writes early
    (see push_changes).
    """
    links = recording.load_links(claimed)
    desired = desired_quantities(integration, [link.product_id for link in links])
    client = shop.client_for(integration, lane=lane)
    try:
        try:
            read = client.fetch_stock({link.ps_product_id for link in links})
        except PrestaShopError as exc:
            recording.record_abort(integration, links, exc)
            raise
        plan = plan_changes(targets_of(links), desired, read)
        # Links the shop already matches are let go before the writes start, so a drain for
        # a document booked meanwhile does not wait for this pass's writes to end.
        settled = recording.settle_in_sync(claimed, plan, token=token) if plan.changes else None
        # A full sync's chunk writes what it planned at its read; a link whose mark moved
        # since (a document booked meanwhile) goes to the drain on its way instead.
        hand_over = (
            outbox.release_if_moved(integration, claimed, token=token) if run is not None else None
        )
        push = push_changes(client, plan.changes, stop=stop, hand_over=hand_over)
        verify_writes(client, push)
        requests = client.requests_sent
    finally:
        client.close()
    outcome = recording.record_push(
        integration,
        links,
        claimed,
        plan,
        push,
        run=run,
        token=token,
        requests=requests,
        settled=settled,
    )
    if push.aborted is not None:
        untouched = [link for link in links if link.pk in set(push.untouched)]
        recording.record_abort(integration, untouched, push.aborted)
        raise push.aborted
    return outcome
