"""Reservations: stock held for open orders, beside the balances (the only code changing them).

hold() opens or changes what an order holds, release() gives it back, issue_goods() turns it
into an approved WZ and closes it. Each runs in one transaction, locks the reservation row
first (then, for a WZ, the balances through warehouse.services), and sends
``reservations_changed`` naming the products whose reserved quantity moved, so the shops fed
from that warehouse follow. A reservation may exceed the balance: that is reported by
check_ledger, never refused (the shop has sold the units already).
"""

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from warehouse import services
from warehouse.exceptions import ReservationStateError
from warehouse.models import Document, Reservation, ReservationLine, Warehouse
from warehouse.signals import reservations_changed


def hold(
    *,
    channel: str,
    order_id: int,
    warehouse: Warehouse,
    lines: Mapping[int, int],
    reference: str = "",
    channel_name: str = "",
) -> Reservation | None:
    """Make one order hold exactly these units ({product id: quantity}). Idempotent.

    Creates the reservation, changes its lines, or reopens a released one. A reservation
    whose goods were issued is returned unchanged: its units have left the warehouse. Nothing
    is created for an order that holds nothing; None is returned then.
    """
    wanted = {int(pid): int(qty) for pid, qty in lines.items() if qty > 0}
    with transaction.atomic():
        reservation = _lock(channel, order_id)
        if reservation is None:
            if not wanted:
                return None
            reservation = _create(channel, order_id, warehouse)
        if reservation.status == Reservation.Status.ISSUED:
            return reservation
        held = _held(reservation)
        changed = {pid for pid in {*held, *wanted} if held.get(pid) != wanted.get(pid)}
        reopened = reservation.status == Reservation.Status.RELEASED and bool(wanted)
        if changed or reopened:
            _replace_lines(reservation, wanted)
        _describe(reservation, reference=reference, channel_name=channel_name)
        if reopened:
            reservation.status, reservation.closed_at = Reservation.Status.OPEN, None
        reservation.save()
        _announce(reservation, changed)
    return reservation


def release(reservation: Reservation) -> bool:
    """Give an open reservation's units back (its order was cancelled); False if not open."""
    with transaction.atomic():
        locked = _lock(reservation.channel, reservation.order_id)
        if locked is None or locked.status != Reservation.Status.OPEN:
            return False
        held = _held(locked)
        locked.status, locked.closed_at = Reservation.Status.RELEASED, timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        _announce(locked, set(held))
    _copy_state(locked, reservation)
    return True


def issue_goods(reservation: Reservation, *, user=None) -> Document:
    """Book the order's goods issue (an approved WZ of its lines) and close the reservation.

    One transaction: a WZ the balance cannot cover raises InsufficientStock and changes
    nothing, the reservation stays open. ReservationStateError if it is not open or empty.
    """
    with transaction.atomic():
        locked = _lock(reservation.channel, reservation.order_id)
        if locked is None or locked.status != Reservation.Status.OPEN:
            raise ReservationStateError(_not_open_message(reservation))
        held = _held(locked)
        if not held:
            raise ReservationStateError(
                _("The reservation of order %(order)s holds no products.")
                % {"order": _order_label(locked)}
            )
        document = services.create_document(
            Document.Kind.WZ,
            locked.warehouse,
            sorted(held.items()),
            user=user,
            origin=Document.Origin.SHOP,
            note=_("Goods issue of order %(order)s (%(channel)s).")
            % {"order": _order_label(locked), "channel": locked.channel_name or locked.channel},
        )
        services.approve(document, user=user)
        locked.status, locked.document = Reservation.Status.ISSUED, document
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "document", "closed_at", "updated_at"])
        _announce(locked, set(held))
    _copy_state(locked, reservation)
    return document


def _lock(channel: str, order_id: int) -> Reservation | None:
    return (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .filter(channel=channel, order_id=order_id)
        .first()
    )


def _create(channel: str, order_id: int, warehouse: Warehouse) -> Reservation:
    """Insert the reservation, or lock the one a concurrent transaction just inserted."""
    try:
        with transaction.atomic():
            Reservation.objects.create(channel=channel, order_id=order_id, warehouse=warehouse)
    except IntegrityError:
        pass  # reservation_one_per_order: the other transaction's row is locked below
    return _lock(channel, order_id)


def _held(reservation: Reservation) -> dict[int, int]:
    """{product id: units} an open reservation holds (nothing once closed)."""
    if reservation.status != Reservation.Status.OPEN:
        return {}
    return dict(reservation.lines.values_list("product_id", "quantity"))


def _replace_lines(reservation: Reservation, wanted: dict[int, int]) -> None:
    reservation.lines.all().delete()
    ReservationLine.objects.bulk_create(
        ReservationLine(reservation=reservation, product_id=pid, quantity=qty)
        for pid, qty in sorted(wanted.items())
    )


def _describe(reservation: Reservation, *, reference: str, channel_name: str) -> None:
    reservation.order_reference = reference[:64] or reservation.order_reference
    reservation.channel_name = channel_name[:100] or reservation.channel_name


def _announce(reservation: Reservation, product_ids: set[int]) -> None:
    """Tell receivers (inside this transaction) whose reserved quantity moved."""
    if product_ids:
        reservations_changed.send(
            sender=Reservation,
            reservation=reservation,
            product_ids=frozenset(product_ids),
            warehouse_ids=frozenset({reservation.warehouse_id}),
        )


def _copy_state(source: Reservation, target: Reservation) -> None:
    for field in ("status", "document", "closed_at"):
        setattr(target, field, getattr(source, field))


def _order_label(reservation: Reservation) -> str:
    return reservation.order_reference or f"#{reservation.order_id}"


def _not_open_message(reservation: Reservation) -> str:
    return _("The reservation of order %(order)s is not open.") % {
        "order": _order_label(reservation)
    }
