"""Recording what a sync pass did: link states, audit entries, counts, log lines.

Every function here is a constant number of queries whatever the batch size (one UPDATE
of the values that changed, one CASE update in the outbox, one bulk insert of log entries).
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.engine import outbox
from integrations.engine.failures import keep_dirty, mark_failures, mark_uncertain, pushes
from integrations.engine.per_row import ValueByPk
from integrations.models import Integration, ProductLink, SyncLogEntry, SyncRun
from integrations.prestashop import PrestaShopError
from integrations.reasons import describe_failure
from warehouse.models import StockMovement

logger = logging.getLogger("integrations.sync")

CAUSE_MAX = 255


COUNTS = ("processed", "changed", "failed", "requests", "moved", "stopped", "held", "deferred")


@dataclass(frozen=True)
class SyncResult:
    processed: int = 0  # links compared with the shop
    changed: int = 0  # rows written (or booked into the ledger)
    failed: int = 0  # links that ended failing or broken
    requests: int = 0  # HTTP requests sent
    moved: int = 0  # links written whose mark moved meanwhile (still dirty)
    stopped: int = 0  # links left untouched because the run was cancelled meanwhile
    held: int = 0  # due links left to a drain (a chunk's), or held by another task (a drain's)
    deferred: int = 0  # 1: another drain of the integration was running; a drain must follow
    # Links this pass is finished with: in sync, written, handed over to a drain, or failed
    # for the drain to retry. The others (not reached, or hit by a temporary failure) need
    # another attempt.
    settled: frozenset[int] = frozenset()
    error: PrestaShopError | None = None  # the shop failure that stopped the pass, if any
    batch_size: int = 0  # rows per multi-row write in force at the end; 0: none was sent

    def __add__(self, other: "SyncResult") -> "SyncResult":
        counts = {name: getattr(self, name) + getattr(other, name) for name in COUNTS}
        return SyncResult(
            **counts,
            settled=self.settled | other.settled,
            error=other.error or self.error,
            batch_size=other.batch_size or self.batch_size,
        )

    def counts(self) -> dict[str, int]:
        """The counters alone (what a task returns as its result)."""
        return {name: getattr(self, name) for name in COUNTS}


def load_links(claimed: dict[int, int]) -> list[ProductLink]:
    """The claimed links with their products' SKUs (one query)."""
    return list(
        ProductLink.objects.filter(pk__in=list(claimed)).select_related("product").order_by("pk")
    )


def settle_in_sync(claimed: dict[int, int], plan, *, token: str) -> int:
    """Clear and release now the claimed links the shop already matches; returns how many
    moved meanwhile (they stay dirty: a drain must come for them)."""
    in_sync = {pk: claimed[pk] for pk in plan.in_sync}
    if not in_sync:
        return 0
    cleared = outbox.clear_if_unchanged(in_sync, token=token)
    outbox.release(in_sync, token=token)
    return len(in_sync) - cleared


def record_push(
    integration, links, claimed, plan, push, *, run, token, requests, moved_early=None
) -> SyncResult:
    """Store what a push pass learned and did; clear the marks of links now equal to the ledger.

    ``moved_early`` is what settle_in_sync() returned when the in-sync links were settled
    before the writes (None: they are cleared here).
    """
    now = timezone.now()
    remember_rows(links, plan, push.written, now)
    unverified = set(push.unverified)
    ok = [pk for pk in push.written if pk not in unverified]
    if moved_early is None:
        ok = [*plan.in_sync, *ok]
    cleared = outbox.clear_if_unchanged({pk: claimed[pk] for pk in ok}, token=token)
    broken = {**plan.missing, **push.broken}
    temporary = {
        pk: describe_failure(error, key=integration.readable_api_key)
        for pk, error in push.temporary.items()
    }
    failing = {**push.not_applied, **temporary}
    mark_failures(links, broken, state=ProductLink.State.BROKEN, now=now)
    mark_failures(links, failing, state=ProductLink.State.FAILING, now=now)
    mark_uncertain(push.uncertain, now=now)
    if pushes(integration):
        keep_dirty(unverified, now=now)
    _write_log(integration, links, plan, push, run, temporary)
    result = SyncResult(
        processed=len(links) - len(push.untouched),
        changed=len(push.written),
        failed=len(broken) + len(push.not_applied) + len(temporary),
        requests=requests,
        moved=len(ok) - cleared + (moved_early or 0),
        stopped=len(push.untouched) if push.aborted is None else 0,
        held=len(push.handed_over),
        # Written rows not verified yet stay dirty: the drain reads them again, not the chunk.
        settled=frozenset(
            [*plan.in_sync, *push.written, *broken, *push.not_applied, *push.handed_over]
        ),
        error=push.error,
        batch_size=push.batch_size,
    )
    log_pass(integration, run, result)
    return result


def log_pass(integration: Integration, run: SyncRun | None, result: SyncResult) -> None:
    logger.info(
        "Integration inventory sync pass: run=%s integration=%s processed=%s changed=%s "
        "failed=%s requests=%s batch_size=%s",
        run.pk if run else "-",
        integration.pk,
        result.processed,
        result.changed,
        result.failed,
        result.requests,
        result.batch_size or "-",
    )


def remember_rows(links, plan, written: dict, now) -> None:
    """Keep the shop row id and the last quantity seen (and sent) on each link.

    Only values that changed are written, in at most one UPDATE: a chunk whose shop matches
    the ledger and whose row ids are known already writes nothing.
    """
    rows = {**plan.in_sync, **{change.link_id: change.row for change in plan.changes}}
    rows.update(written)
    stock_ids, shop_quantities = {}, {}
    for link in links:
        row = rows.get(link.pk)
        if row is None:
            continue
        if link.ps_stock_id != row.id:
            stock_ids[link.pk] = link.ps_stock_id = row.id
        if link.last_shop_quantity != row.quantity:
            shop_quantities[link.pk] = link.last_shop_quantity = row.quantity
        if link.pk in written:
            link.last_pushed_quantity, link.last_pushed_at = row.quantity, now
    pushed = {pk: row.quantity for pk, row in written.items()}
    _update_links(
        {
            "ps_stock_id": stock_ids,
            "last_shop_quantity": shop_quantities,
            "last_pushed_quantity": pushed,
        },
        pushed_at=now,
    )


def _update_links(per_row: dict[str, dict[int, int]], *, pushed_at) -> None:
    """One UPDATE setting each field on its own links only (the others keep their value)."""
    changes = {field: values for field, values in per_row.items() if values}
    if not changes:
        return
    fields = {field: ValueByPk(values, default=F(field)) for field, values in changes.items()}
    pushed = changes.get("last_pushed_quantity", {})
    if pushed:
        fields["last_pushed_at"] = Case(
            When(pk__in=list(pushed), then=Value(pushed_at)), default=F("last_pushed_at")
        )
    touched = set().union(*changes.values())
    ProductLink.objects.filter(pk__in=sorted(touched)).update(**fields)


def _write_log(integration, links, plan, push, run, temporary) -> None:
    """One audit entry per write and per failed link, each with its cause."""
    before = {change.link_id: change.row.quantity for change in plan.changes}
    wanted = {change.link_id: change.quantity for change in plan.changes}
    outcomes = dict.fromkeys(push.written, (SyncLogEntry.Outcome.WRITTEN, ""))
    for pk, message in push.not_applied.items():
        outcomes[pk] = (SyncLogEntry.Outcome.NOT_APPLIED, message)
    for pk, message in {**plan.missing, **push.broken, **temporary}.items():
        outcomes[pk] = (SyncLogEntry.Outcome.FAILED, message)
    logged = [link for link in links if link.pk in outcomes]
    causes = describe_causes(logged, run)
    SyncLogEntry.objects.bulk_create(
        SyncLogEntry(
            integration=integration,
            link=link,
            run=run,
            sku=link.product.sku,
            quantity_before=before.get(link.pk),
            quantity_written=wanted.get(link.pk),
            cause=causes.get(link.pk, ""),
            outcome=outcomes[link.pk][0],
            message=outcomes[link.pk][1],
        )
        for link in logged
    )


def describe_causes(links: list[ProductLink], run: SyncRun | None) -> dict[int, str]:
    """Why each link was synced: the run, or the documents booked since it was marked dirty."""
    if run is not None:
        return {link.pk: _("sync run #%(id)s") % {"id": run.pk} for link in links}
    marked = [link for link in links if link.dirty_since is not None]
    if not marked:
        return {}
    since = min(link.dirty_since for link in marked)
    booked = (
        StockMovement.objects.filter(product_id__in={link.product_id for link in marked})
        .filter(Q(document__approved_at__gte=since) | Q(document__cancelled_at__gte=since))
        .order_by("document__number")
        .values_list(
            "product_id", "document__number", "document__approved_at", "document__cancelled_at"
        )
        .distinct()
    )
    documents = defaultdict(list)
    for product_id, number, approved_at, cancelled_at in booked:
        documents[product_id].append((number, max(filter(None, (approved_at, cancelled_at)))))
    return {
        link.pk: _cause_text(
            number for number, at in documents[link.product_id] if at >= link.dirty_since
        )
        for link in marked
    }


def _cause_text(numbers: Iterable[str]) -> str:
    text = ", ".join(dict.fromkeys(numbers))
    return text if len(text) <= CAUSE_MAX else text[: CAUSE_MAX - 1] + "…"
