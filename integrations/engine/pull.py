"""The prestashop_to_local mode: the shop is the truth, and its quantities come back into the
ledger as an inventory-count (INW) document with origin "shop", so the ledger stays a ledger.

Where it is booked: one warehouse, the integration's first selected warehouse (by code), or
the first warehouse (by code) when the integration takes all of them. The counted quantity is
chosen so that the total over the integration's warehouses equals the shop's quantity.
The INW's own stock_changed does not come back to this shop: outbox.mark() never marks links
of an integration in this mode.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.engine import failures, outbox, recording, shop
from integrations.engine.plan import feed_warehouse_ids, plan_changes, targets_of
from integrations.models import Integration, ProductLink, SyncLogEntry, SyncRun
from integrations.prestashop import PrestaShopError
from integrations.ratelimit.policy import BULK
from warehouse import services
from warehouse.models import Document, Warehouse
from warehouse.selectors import stock_totals


def target_warehouse(integration: Integration) -> Warehouse | None:
    """The warehouse that books the shop's quantities (see the module docstring)."""
    chosen = integration.warehouses.order_by("code").first()
    return chosen or Warehouse.objects.order_by("code").first()


def pull_links(
    integration: Integration,
    claimed: dict[int, int],
    *,
    run: SyncRun | None,
    token: str,
    meter=None,
    lane: str = BULK,
) -> recording.SyncResult:
    """Read the shop's rows for the claimed links and book differences as one approved INW.

    A failed read is not raised: it is the result's ``error``, and nothing is booked.
    """
    links = recording.load_links(claimed)
    warehouse = target_warehouse(integration)
    product_ids = [link.product_id for link in links]
    totals = stock_totals(product_ids, warehouse_ids=feed_warehouse_ids(integration))
    own = stock_totals(product_ids, warehouse_ids=[warehouse.pk]) if warehouse else {}
    client = shop.client_for(integration, lane=lane)
    if meter is not None:
        meter.track(client)
    try:
        read = client.fetch_stock({link.ps_product_id for link in links})
        requests = client.requests_sent
    except PrestaShopError as exc:
        failures.record_abort(integration, links, exc)
        return recording.SyncResult(requests=client.requests_sent, error=exc)
    finally:
        client.close()
    plan = plan_changes(targets_of(links), totals, read)
    counted, refused = counted_quantities(plan, links, totals, own, warehouse)
    document = book(integration, warehouse, counted, run) if counted else None
    return _record(
        integration, links, claimed, plan, counted, refused, document, run, token, requests
    )


def counted_quantities(
    plan, links, totals, own, warehouse
) -> tuple[dict[int, int], dict[int, str]]:
    """{product id: quantity to count in the warehouse}, and the links that cannot be booked."""
    product_of = {link.pk: link.product_id for link in links}
    counted, refused = {}, {}
    for change in plan.changes:
        product_id = product_of[change.link_id]
        quantity = own.get(product_id, 0) + change.row.quantity - totals.get(product_id, 0)
        if warehouse is None or quantity < 0:
            refused[change.link_id] = _(
                "The shop's quantity %(quantity)s cannot be booked: the other warehouses "
                "already hold more."
            ) % {"quantity": change.row.quantity}
        else:
            counted[product_id] = quantity
    return counted, refused


def book(integration: Integration, warehouse: Warehouse, counted: dict[int, int], run) -> Document:
    """Create and approve the INW document that brings the ledger to the shop's quantities."""
    note = _("Quantities read from the shop %(name)s") % {"name": integration.name}
    if run is not None:
        note += f" (#{run.pk})"
    document = services.create_document(
        Document.Kind.INW,
        warehouse,
        sorted(counted.items()),
        origin=Document.Origin.SHOP,
        note=note,
    )
    return services.approve(document, user=None)


def _record(integration, links, claimed, plan, counted, refused, document, run, token, requests):
    now = timezone.now()
    booked = {c.link_id: c for c in plan.changes if c.link_id not in refused}
    recording.remember_rows(links, plan, {}, now)
    ok = [*plan.in_sync, *booked]
    cleared = outbox.clear_if_unchanged({pk: claimed[pk] for pk in ok}, token=token)
    # No drain in this mode: a failed link is read again by the next scheduled pull.
    failures.mark_failures(
        links, plan.missing, state=ProductLink.State.BROKEN, now=now, dirty=False
    )
    failures.mark_failures(links, refused, state=ProductLink.State.FAILING, now=now, dirty=False)
    by_id = {link.pk: link for link in links}
    SyncLogEntry.objects.bulk_create(
        SyncLogEntry(
            integration=integration,
            link=by_id[pk],
            run=run,
            sku=by_id[pk].product.sku,
            quantity_before=change.quantity,
            quantity_written=change.row.quantity,
            cause=document.number,
            outcome=SyncLogEntry.Outcome.BOOKED,
        )
        for pk, change in booked.items()
    )
    result = recording.SyncResult(
        processed=len(links),
        changed=len(booked),
        failed=len(plan.missing) + len(refused),
        requests=requests,
        moved=len(ok) - cleared,
        settled=frozenset(link.pk for link in links),
    )
    recording.log_pass(integration, run, result)
    return result
