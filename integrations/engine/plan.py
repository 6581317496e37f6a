"""Planning, pure: compare the ledger's wanted quantities with the shop's rows.

Nothing here touches the database or the network but ``desired_quantities``: the ledger's
aggregate queries, and for an integration reserving for orders the orders read it may need
first (integrations.engine.orders); the rows come from one bulk read of the shop.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from integrations.engine import orders
from integrations.models import Integration, ProductLink
from integrations.prestashop import StockRead, StockRow
from integrations.ratelimit.policy import BULK
from warehouse.bounds import MAX_QUANTITY
from warehouse.selectors import available_totals, stock_totals

PRODUCT_NOT_FOUND = _("product not found in the shop")
COMBINATION_NOT_FOUND = _("combination not found in the shop")


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


def desired_quantities(
    integration: Integration, product_ids: Iterable[int], *, lane: str = BULK
) -> dict[int, int]:
    """The ledger's quantity per product for this shop, in aggregate queries.

    An integration that reserves for orders gets the available quantity (balance minus open
    reservations in the warehouses feeding it, never below 0), after the shop's new orders are
    read if the reservations are older than INVSYNC_ORDERS_MAX_AGE (orders.ensure_fresh: it
    may talk to the shop in the rate limiter's `lane`, the pass's own, and raises its error).
    Otherwise the bare balance.

    Each balance stays within PrestaShop's limit, but a sum over several warehouses may not:
    the shop then gets the most it can store (it could never sell more anyway).
    """
    warehouse_ids = feed_warehouse_ids(integration)
    if orders.reads_orders(integration):
        orders.ensure_fresh(integration, lane=lane)
        totals = available_totals(product_ids, warehouse_ids=warehouse_ids)
    else:
        totals = stock_totals(product_ids, warehouse_ids=warehouse_ids)
    return {product_id: min(max(total, 0), MAX_QUANTITY) for product_id, total in totals.items()}
