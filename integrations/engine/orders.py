"""Reading the shop's orders into the ledger's reservations: incrementally, fresh before writes.

Orders are read by date_upd with a cursor per integration (the shop's own local timestamps, so
no clock or time zone is guessed; re-read from one second before it, since `>` is strict and
the shop counts whole seconds). The first read only notes where the shop stands: orders
placed before it are not reserved unless the operator imports the open ones once.

A write pass asks for reservations at most INVSYNC_ORDERS_MAX_AGE seconds old
(``ensure_fresh``): one worker reads, holding a claim on the integration's OrderFeed row,
and the others wait for its result instead of reading too. The periodic drain reads every
integration once a minute. Every request goes through the integration's rate limiter.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.engine import order_states, outbox, shop
from integrations.engine.order_apply import OrderContext, apply_order, counts, reapply
from integrations.models import Integration, OrderFeed, ShopOrder
from integrations.prestashop import OrderHead, PrestaShopError, ShopConfigError, ShopTemporaryError
from integrations.ratelimit.policy import BULK
from integrations.reasons import describe_failure
from warehouse.models import Reservation

logger = logging.getLogger("integrations.sync")

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
OVERLAP = timedelta(seconds=1)  # `>` is strict and date_upd counts whole seconds
SETTLE_MARGIN = timedelta(seconds=2)  # lines read this long after date_upd cannot change unseen
STATES_MAX_AGE = timedelta(hours=1)
WAIT_POLL = 0.1
REAPPLY_LIMIT = 200


class OrdersNotFresh(ShopTemporaryError):
    """Another worker's orders read did not finish in time: retry the pass later."""


@dataclass
class OrdersRead:
    orders: int = 0  # orders applied to the ledger
    requests: int = 0
    skipped: bool = False  # fresh enough already: nothing was read


def reads_orders(integration: Integration) -> bool:
    """Whether this integration reserves stock for its shop's orders."""
    return integration.reserve_orders and integration.mode == Integration.Mode.LOCAL_TO_PRESTA


def max_age() -> timedelta:
    """How old reservations may be when a write goes out (INVSYNC_ORDERS_MAX_AGE)."""
    return timedelta(seconds=settings.INVSYNC_ORDERS_MAX_AGE)


def claim_lease() -> timedelta:
    """How long a read may hold its claim before another worker may read instead."""
    return timedelta(seconds=max(60.0, 4 * settings.INVSYNC_SHOP_READ_TIMEOUT))


def ensure_fresh(integration: Integration, *, lane: str = BULK) -> OrdersRead:
    """Before a write pass: read the shop's new orders unless read within max_age(), in the
    rate limiter's lane of the pass (a drain's LIVE, a chunk's BULK)."""
    if not reads_orders(integration):
        return OrdersRead(skipped=True)
    return refresh(integration, max_age=max_age(), lane=lane)


def refresh(
    integration: Integration, *, max_age: timedelta, token: str = "", lane: str = BULK
) -> OrdersRead:
    """Read the orders changed since the last read, once, unless they are fresh enough; its
    requests take the rate limiter's `lane`.

    Raises the shop's error (a configuration error also stops the integration), or
    OrdersNotFresh when another worker's read held its claim past the lease.
    """
    feed = feed_of(integration)
    token = token or outbox.new_token()
    deadline = time.monotonic() + claim_lease().total_seconds() + 5
    while not _claim(feed, token, max_age):
        if _is_fresh(feed, max_age):
            return OrdersRead(skipped=True)
        if time.monotonic() > deadline:
            raise OrdersNotFresh(_("Another task is still reading the shop's orders."))
        time.sleep(WAIT_POLL)
        feed.refresh_from_db()
    feed.refresh_from_db()  # what the previous reader left: cursor, baseline, states
    try:
        return _read(integration, feed, lane)
    finally:
        OrderFeed.objects.filter(pk=feed.pk, reading_by=token).update(
            reading_since=None, reading_by=""
        )


def feed_of(integration: Integration) -> OrderFeed:
    feed, _created = OrderFeed.objects.get_or_create(integration=integration)
    return feed


def _is_fresh(feed: OrderFeed, age: timedelta) -> bool:
    return feed.read_at is not None and feed.read_at >= timezone.now() - age


def _claim(feed: OrderFeed, token: str, age: timedelta) -> bool:
    """Take the read by conditional UPDATE: only if stale and nobody else is reading."""
    now = timezone.now()
    return bool(
        OrderFeed.objects.filter(pk=feed.pk)
        .filter(Q(read_at__isnull=True) | Q(read_at__lt=now - age))
        .filter(
            Q(reading_since__isnull=True)
            | Q(reading_since__lt=now - claim_lease())
            | Q(reading_by=token)
        )
        .update(reading_since=now, reading_by=token)
    )


def _read(integration: Integration, feed: OrderFeed, lane: str) -> OrdersRead:
    started = timezone.now()
    client = shop.client_for(integration, lane=lane)
    try:
        applied = read_into_ledger(integration, feed, client)
        requests = client.requests_sent
    except PrestaShopError as error:
        _record_failure(integration, feed, error)
        raise
    finally:
        client.close()
    OrderFeed.objects.filter(pk=feed.pk).update(
        read_at=started, cursor=feed.cursor, last_error="", last_error_at=None
    )
    feed.read_at = started
    return OrdersRead(orders=applied, requests=requests)


def read_into_ledger(integration: Integration, feed: OrderFeed, client) -> int:
    """One incremental read: the orders changed since the cursor, applied; returns how many."""
    refreshed = _refresh_states_if_old(integration, feed, client)
    if feed.baseline_order_id is None:
        start_feed(feed, client)
        return 0
    heads = client.fetch_changed_orders(lower_bound(feed))
    roles = order_states.roles_of(integration)
    if not refreshed and any(head.current_state not in roles for head in heads):
        order_states.refresh_states(integration, feed, client)  # a state added in the shop
        roles = order_states.roles_of(integration)
    context = OrderContext.load(integration, roles, feed.baseline_order_id)
    applied = apply_heads(context, feed, client, heads)
    reapply_pending(context)
    feed.cursor = max([feed.cursor, *(head.date_upd for head in heads)])
    return applied


def start_feed(feed: OrderFeed, client) -> None:
    """Note where the shop stands: orders up to its highest id predate the integration."""
    baseline = client.fetch_highest_order_id()
    newest = client.fetch_newest_order()
    feed.baseline_order_id = max(baseline, newest.id if newest else 0)
    feed.cursor = newest.date_upd if newest else ""
    OrderFeed.objects.filter(pk=feed.pk).update(
        baseline_order_id=feed.baseline_order_id, cursor=feed.cursor
    )


def apply_heads(context: OrderContext, feed: OrderFeed, client, heads: list[OrderHead]) -> int:
    """Apply the orders that changed (their lines read in one go); returns how many."""
    stored = {
        order.ps_order_id: order
        for order in ShopOrder.objects.filter(
            integration=context.integration, ps_order_id__in=[head.id for head in heads]
        )
    }
    zone = shop_zone(feed)
    changed = [head for head in heads if _changed(head, stored.get(head.id), zone)]
    lines = client.fetch_order_lines([head.id for head in changed]) if changed else {}
    context.prefetch(line.key for order_lines in lines.values() for line in order_lines)
    context.prefetch((pid, a) for o in stored.values() for pid, a, _units in o.lines)
    read_at = timezone.now()
    for head in sorted(changed, key=lambda h: (h.date_upd, h.id)):
        order = apply_order(context, head, lines.get(head.id))
        if head.id in lines:
            ShopOrder.objects.filter(pk=order.pk).update(lines_read_at=read_at)
    return len(changed)


def reapply_pending(context: OrderContext) -> int:
    """Apply again the stored open orders that reported a problem (a product linked since?)."""
    pending = (
        ShopOrder.objects.filter(integration=context.integration)
        .exclude(problem="")
        .filter(Q(reservation__isnull=True) | Q(reservation__status=Reservation.Status.OPEN))
        .order_by("-ps_order_id")
        .values_list("pk", flat=True)[:REAPPLY_LIMIT]
    )
    for order_id in list(pending):
        reapply(context, order_id)
    return len(pending)


def _changed(head: OrderHead, stored: ShopOrder | None, zone: ZoneInfo | None) -> bool:
    """New, changed, or read so soon after its change that a same-second edit may be unseen."""
    if stored is None:
        return True
    if (stored.date_upd, stored.ps_state_id) != (head.date_upd, head.current_state):
        return True
    if not counts(stored):
        return False
    return not _settled(stored, zone)


def _settled(order: ShopOrder, zone: ZoneInfo | None) -> bool:
    if order.lines_read_at is None or zone is None:
        return False
    read = timezone.localtime(order.lines_read_at, zone).replace(tzinfo=None)
    return read - SETTLE_MARGIN > datetime.strptime(order.date_upd, DATE_FORMAT)


def lower_bound(feed: OrderFeed) -> str | None:
    """The `>` bound of the next read: the cursor less a second, and less the hour the shop's
    clock went back if summer time ended since (its local times then repeat)."""
    if not feed.cursor:
        return None
    cursor = datetime.strptime(feed.cursor, DATE_FORMAT)
    bound = cursor - OVERLAP
    zone = shop_zone(feed)
    if zone is not None:
        then = cursor.replace(tzinfo=zone, fold=0).utcoffset()
        now = timezone.now().astimezone(zone).utcoffset()
        if then is not None and now is not None and now < then:
            bound -= then - now
    return bound.strftime(DATE_FORMAT)


def shop_zone(feed: OrderFeed) -> ZoneInfo | None:
    """The shop's time zone (PS_TIMEZONE), or None if unknown."""
    try:
        return ZoneInfo(feed.shop_timezone) if feed.shop_timezone else None
    except (ValueError, KeyError):
        return None


def _refresh_states_if_old(integration: Integration, feed: OrderFeed, client) -> bool:
    if feed.states_read_at and feed.states_read_at > timezone.now() - STATES_MAX_AGE:
        return False
    order_states.refresh_states(integration, feed, client)
    return True


def _record_failure(integration: Integration, feed: OrderFeed, error: PrestaShopError) -> None:
    """Remember why the read failed; a key or permission error stops the integration."""
    message = describe_failure(error, key=integration.readable_api_key)
    OrderFeed.objects.filter(pk=feed.pk).update(last_error=message, last_error_at=timezone.now())
    if isinstance(error, ShopConfigError):
        shop.halt(integration, error)
    logger.warning(
        "Integration orders read failed: integration=%s error=%s: %s",
        integration.pk,
        type(error).__name__,
        error,
    )


def integrations_reading_orders() -> list[int]:
    """Integrations the periodic drain reads orders for (active, running, reserving)."""
    return list(
        Integration.objects.filter(
            active=True,
            halted_at__isnull=True,
            reserve_orders=True,
            mode=Integration.Mode.LOCAL_TO_PRESTA,
        ).values_list("pk", flat=True)
    )
