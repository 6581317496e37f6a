"""Pushing: write the planned changes to the shop, check they were applied, record it.

push_changes() and verify_writes() only talk to the shop; push_claimed() reads the ledger and
the shop for claimed links, writes only what differs and records every outcome. No network
call happens inside a database transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from integrations.engine import failures, recording, shop
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
    RateLimited,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRow,
    StockRowNotFound,
    WriteNotApplied,
)
from integrations.reasons import describe_failure

STOCK_ROW_NOT_FOUND = _("stock row not found in the shop")
NOT_APPLIED = _("accepted but not applied")
# Temporary failures in a row that end a pass: a shop that is down costs three requests, a
# flaky one still gets every other row written.
TEMPORARY_STREAK = 3


@dataclass
class PushResult:
    written: dict[int, StockRow] = field(default_factory=dict)  # link id -> echoed row
    not_applied: dict[int, str] = field(default_factory=dict)
    broken: dict[int, str] = field(default_factory=dict)
    temporary: dict[int, PrestaShopError] = field(default_factory=dict)  # to try again
    untouched: list[int] = field(default_factory=list)  # not attempted after an abort
    unverified: list[int] = field(default_factory=list)  # written, but the re-read failed
    uncertain: set[int] = field(default_factory=set)  # a write whose answer was lost
    aborted: PrestaShopError | None = None

    @property
    def error(self) -> PrestaShopError | None:
        """The failure the caller must retry after: the abort, else the first temporary one."""
        return self.aborted or next(iter(self.temporary.values()), None)


def push_changes(client, changes: Iterable[Change], *, wrote=None) -> PushResult:
    """Write each change; a temporary failure costs its row only, until TEMPORARY_STREAK in a
    row or a shop-wide one (rate limit, key, permissions) stops the pass.

    ``wrote()``, if given, is called after each accepted write (live counts).
    """
    result = PushResult()
    pending = list(changes)
    streak = 0
    for position, change in enumerate(pending):
        try:
            result.written[change.link_id] = client.write_quantity(change.row, change.quantity)
            if wrote is not None:
                wrote()
        except WriteNotApplied as exc:
            result.not_applied[change.link_id] = describe_failure(exc)
        except StockRowNotFound:
            result.broken[change.link_id] = str(STOCK_ROW_NOT_FOUND)
        except ShopPermanentError as exc:
            result.broken[change.link_id] = describe_failure(exc)
        except (ShopConfigError, RateLimited) as exc:
            result.aborted = exc
            result.untouched = [c.link_id for c in pending[position:]]
            break
        except ShopTemporaryError as exc:
            result.temporary[change.link_id] = exc
            streak += 1
            if streak >= TEMPORARY_STREAK:
                result.aborted = exc
                result.untouched = [c.link_id for c in pending[position + 1 :]]
                break
            continue
        streak = 0
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
) -> recording.SyncResult:
    """Bring the claimed links' shop rows to the ledger and record every outcome.

    Never raises a shop failure: what stopped the pass is in the result's ``error``, after
    everything done before it was recorded. ``meter`` (leases.Meter) counts live.
    """
    links = recording.load_links(claimed)
    desired = desired_quantities(integration, [link.product_id for link in links])
    client = shop.client_for(integration)
    if meter is not None:
        meter.track(client)
    try:
        try:
            read = client.fetch_stock({link.ps_product_id for link in links})
        except PrestaShopError as exc:
            failures.record_abort(integration, links, exc)
            return recording.SyncResult(requests=client.requests_sent, error=exc)
        plan = plan_changes(targets_of(links), desired, read)
        push = push_changes(client, plan.changes, wrote=meter.wrote if meter else None)
        verify_writes(client, push)
        push.uncertain = uncertain_links(plan.changes, client.uncertain_rows)
        requests = client.requests_sent
    finally:
        client.close()
    outcome = recording.record_push(
        integration, links, claimed, plan, push, run=run, token=token, requests=requests
    )
    if push.aborted is not None:
        untouched = [link for link in links if link.pk in set(push.untouched)]
        failures.record_abort(integration, untouched, push.aborted)
    return outcome
