"""Importing the open orders placed before the integration read orders (an operator's action).

Orders placed before the first read are not reserved by themselves: their units were counted
by whatever the shop and the warehouse did before. The operator imports them once (the admin
action or ``manage.py import_open_orders``): every such order now in a state that holds
stock is reserved, and followed like any later order from then on. Importing again changes
nothing more (a reservation is one per order).
"""

from dataclasses import dataclass

from django.utils import timezone

from integrations.engine import order_states, shop
from integrations.engine.order_apply import OrderContext, apply_order
from integrations.engine.orders import feed_of, start_feed
from integrations.models import Integration, OrderFeed, ShopOrderState


@dataclass
class ImportResult:
    orders: int  # open orders placed before linking, now reserved
    problems: int  # of them, orders that reported a problem (e.g. unlinked products)
    requests: int


def import_open_orders(integration: Integration) -> ImportResult:
    """Reserve the open orders placed before the integration read orders. Idempotent."""
    feed = feed_of(integration)
    client = shop.client_for(integration)
    try:
        order_states.refresh_states(integration, feed, client)
        if feed.baseline_order_id is None:
            start_feed(feed, client)
        holding = [
            state_id
            for state_id, role in order_states.roles_of(integration).items()
            if role == ShopOrderState.Role.RESERVE
        ]
        heads = client.fetch_orders_in_states(holding, up_to_id=feed.baseline_order_id or 0)
        lines = client.fetch_order_lines([head.id for head in heads]) if heads else {}
        requests = client.requests_sent
    finally:
        client.close()
    roles = order_states.roles_of(integration)
    context = OrderContext.load(integration, roles, feed.baseline_order_id)
    applied = [apply_order(context, head, lines.get(head.id, []), imported=True) for head in heads]
    OrderFeed.objects.filter(pk=feed.pk).update(imported_at=timezone.now())
    return ImportResult(
        orders=len(applied),
        problems=sum(1 for order in applied if order.problem),
        requests=requests,
    )
