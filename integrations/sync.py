"""Diff, then write: bring a shop's stock rows to the ledger's quantities for a batch of links.

plan_changes() is pure; push_changes() only talks to the shop; sync_links() claims the links,
reads the ledger (one aggregate query) and the shop (one bulk read), writes only what differs
and records every outcome. No network call happens inside a database transaction. This
module knows nothing of Celery.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from integrations import outbox, results, shop
from integrations.models import Integration, ProductLink, SyncRun
from integrations.prestashop import (
    PrestaShopError,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRead,
    StockRow,
    StockRowNotFound,
    WriteNotApplied,
)
from integrations.reasons import describe_failure
from warehouse.selectors import stock_totals

logger = logging.getLogger("integrations.sync")

PRODUCT_NOT_FOUND = _("product not found in the shop")
COMBINATION_NOT_FOUND = _("combination not found in the shop")
STOCK_ROW_NOT_FOUND = _("stock row not found in the shop")
NOT_APPLIED = _("accepted but not applied")
MAX_DRAIN_PASSES = 50


@dataclass(frozen=True)
class LinkTarget:
    """What the planner needs of a link: its ledger product and its shop row key."""

    link_id: int
    product_id: int
    ps_product_id: int
    ps_combination_id: int = 0


@dataclass(frozen=True)
class Change:
    link_id: int
    row: StockRow  # the shop's row as read
    quantity: int  # what the ledger wants there


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    in_sync: dict[int, StockRow] = field(default_factory=dict)  # link id -> row, equal already
    missing: dict[int, str] = field(default_factory=dict)  # link id -> why there is no row


@dataclass
class PushResult:
    written: dict[int, StockRow] = field(default_factory=dict)  # link id -> echoed row
    not_applied: dict[int, str] = field(default_factory=dict)
    broken: dict[int, str] = field(default_factory=dict)
    untouched: list[int] = field(default_factory=list)  # not attempted after an abort
    unverified: list[int] = field(default_factory=list)  # written, but the re-read failed
    aborted: PrestaShopError | None = None


def plan_changes(targets: Iterable[LinkTarget], desired: dict[int, int], read: StockRead) -> Plan:
    """Compare the ledger's wanted quantities with the shop's rows (products absent = 0)."""
    plan = Plan()
    for target in targets:
        row = read.rows.get((target.ps_product_id, target.ps_combination_id))
        if row is None:
            missing_product = target.ps_product_id in read.missing_products
            reason = PRODUCT_NOT_FOUND if missing_product else COMBINATION_NOT_FOUND
            plan.missing[target.link_id] = str(reason)
            continue
        quantity = desired.get(target.product_id, 0)
        if row.quantity == quantity:
            plan.in_sync[target.link_id] = row
        else:
            plan.changes.append(Change(target.link_id, row, quantity))
    return plan


def push_changes(client, changes: Iterable[Change]) -> PushResult:
    """Write each change; stop at the first shop-wide failure (rate limit, key, outage)."""
    result = PushResult()
    pending = list(changes)
    for position, change in enumerate(pending):
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
            result.untouched = [c.link_id for c in pending[position:]]
            break
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


def targets_of(links: Iterable[ProductLink]) -> list[LinkTarget]:
    """The planner's view of the links."""
    return [
        LinkTarget(link.pk, link.product_id, link.ps_product_id, link.ps_combination_id)
        for link in links
    ]


def feed_warehouse_ids(integration: Integration) -> list[int] | None:
    """The warehouses whose stock feeds the shop; None means all of them."""
    ids = list(integration.warehouses.values_list("pk", flat=True))
    return ids or None


def desired_quantities(integration: Integration, product_ids: Iterable[int]) -> dict[int, int]:
    """The ledger's quantity per product for this shop, in one aggregate query."""
    return stock_totals(product_ids, warehouse_ids=feed_warehouse_ids(integration))


def sync_links(
    integration: Integration,
    link_ids: Iterable[int],
    *,
    run: SyncRun | None = None,
    token: str | None = None,
) -> results.SyncResult:
    """Claim these links (any state) and bring their shop rows to the ledger. Idempotent."""
    token = token or outbox.new_token()
    ids = list(link_ids)
    claimed = outbox.claim(integration, limit=len(ids), token=token, link_ids=ids)
    return sync_claimed(integration, claimed, run=run, token=token)


def sync_claimed(
    integration: Integration, claimed: dict[int, int], *, run: SyncRun | None, token: str
) -> results.SyncResult:
    """Sync links this token has claimed, by the integration's mode; always releases them."""
    if not claimed:
        return results.SyncResult()
    try:
        if integration.mode == Integration.Mode.PRESTASHOP_TO_LOCAL:
            from integrations import pull

            return pull.pull_links(integration, claimed, run=run, token=token)
        return _push_claimed(integration, claimed, run=run, token=token)
    finally:
        outbox.release(claimed, token=token)


def _push_claimed(
    integration: Integration, claimed: dict[int, int], *, run: SyncRun | None, token: str
) -> results.SyncResult:
    links = results.load_links(claimed)
    desired = desired_quantities(integration, [link.product_id for link in links])
    client = shop.client_for(integration)
    try:
        try:
            read = client.fetch_stock({link.ps_product_id for link in links})
        except PrestaShopError as exc:
            results.record_abort(integration, links, exc)
            raise
        plan = plan_changes(targets_of(links), desired, read)
        dry_run = run is not None and run.dry_run
        push = PushResult() if dry_run else push_changes(client, plan.changes)
        verify_writes(client, push)
        requests = client.requests_sent
    finally:
        client.close()
    if dry_run:
        return results.dry_run_result(links, plan, requests=requests)
    outcome = results.record_push(
        integration, links, claimed, plan, push, run=run, token=token, requests=requests
    )
    if push.aborted is not None:
        untouched = [link for link in links if link.pk in set(push.untouched)]
        results.record_abort(integration, untouched, push.aborted)
        raise push.aborted
    return outcome


def drain(integration_id: int, *, token: str | None = None) -> results.SyncResult:
    """Sync every due dirty link of one integration, in chunk-sized passes. Idempotent."""
    integration = Integration.objects.get(pk=integration_id)
    total = results.SyncResult()
    if integration.mode != Integration.Mode.LOCAL_TO_PRESTA or not shop.can_sync(integration):
        return total  # marks stay; enabling or un-halting the integration catches up
    token = token or outbox.new_token()
    seen: set[int] = set()
    for _pass in range(MAX_DRAIN_PASSES):
        claimed = outbox.claim(integration, limit=integration.chunk_size, token=token, exclude=seen)
        if not claimed:
            break
        seen.update(claimed)
        total = total + sync_claimed(integration, claimed, run=None, token=token)
    follow_up(integration, total)
    return total


def follow_up(integration: Integration, result: results.SyncResult) -> None:
    """Links changed while this pass held them stay dirty: make sure a drain comes for them.

    A drain sent by the change that moved them may have found them claimed by this pass.
    """
    if result.moved:
        from integrations.receivers import enqueue_drains

        enqueue_drains({integration.pk})
