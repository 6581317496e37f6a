"""One shop order brought into the ledger: its reservation held, issued or released.

Level-based, like the stock sync: whatever was seen before, an order is applied from what the
shop says now (its state's role and its lines), so reading it twice, out of order or after an
edit changes nothing more than reading it once. Each order is one transaction with its ledger
change. Lines of products that are not linked are reported on the order, never guessed.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from integrations.engine import outbox
from integrations.engine.order_states import Role
from integrations.models import Integration, ProductLink, ShopOrder
from integrations.prestashop import OrderHead, OrderLine
from warehouse import reservations
from warehouse.exceptions import LedgerError, ReservationStateError
from warehouse.models import Document, Reservation, Warehouse


def channel_of(integration: Integration) -> str:
    """The ledger's key for this integration's reservations."""
    return f"integration:{integration.pk}"


def order_warehouse(integration: Integration) -> Warehouse | None:
    """Where the shop's orders are reserved and issued: the chosen warehouse, else the first
    warehouse feeding the shop, else the first warehouse of all (None if there is none)."""
    if integration.order_warehouse_id:
        return integration.order_warehouse
    feeding = integration.warehouses.order_by("code").first()
    return feeding or Warehouse.objects.order_by("code").first()


@dataclass
class OrderContext:
    """What applying orders of one integration needs, read once per pass."""

    integration: Integration
    roles: dict[int, str]  # state id -> Role
    warehouse: Warehouse | None
    baseline_order_id: int | None
    # (id_product, id_product_attribute) -> linked product id, or None: loaded as needed.
    products: dict[tuple[int, int], int | None] = field(default_factory=dict)

    @classmethod
    def load(cls, integration: Integration, roles: dict[int, str], baseline: int | None):
        return cls(integration, roles, order_warehouse(integration), baseline)

    def product_of(self, key: tuple[int, int]) -> int | None:
        """The ledger product linked to a shop row key (None when not linked)."""
        if key not in self.products:
            self.prefetch([key])
        return self.products[key]

    def prefetch(self, keys) -> None:
        """Look up the links of these shop row keys in one query."""
        wanted = {tuple(key) for key in keys} - set(self.products)
        if not wanted:
            return
        links = ProductLink.objects.filter(
            integration=self.integration, ps_product_id__in={pid for pid, _a in wanted}
        ).values_list("ps_product_id", "ps_combination_id", "product_id")
        found = {(pid, attribute): product for pid, attribute, product in links}
        self.products.update({key: found.get(key) for key in wanted})


def apply_order(
    context: OrderContext, head: OrderHead, lines: list[OrderLine] | None, *, imported=False
) -> ShopOrder:
    """Record the order as the shop shows it and bring its reservation in line. Idempotent.

    `lines` None keeps the lines stored from an earlier read (the order did not change).
    The order's products are marked for this shop: its own stock moved with the order (placed,
    edited, cancelled, ...), and the next drain brings the rows back to the ledger's quantity.
    """
    with transaction.atomic():
        order = _locked_order(context.integration, head)
        touched = _products_of(context, order.lines)
        order.predates_link = _predates(context, head)
        order.imported = order.imported or imported
        order.reference, order.ps_state_id = head.reference[:64], head.current_state
        order.date_add, order.date_upd = head.date_add, head.date_upd
        if lines is not None:
            order.lines = [[ln.product_id, ln.product_attribute_id, ln.quantity] for ln in lines]
        # Marked before the reservation changes, in one pk-ordered lock of this shop's links.
        touched |= _products_of(context, order.lines)
        outbox.mark(touched, integration_ids=[order.integration_id])
        order.problem = settle(context, order) if counts(order) else ""
        order.save()
    return order


def reapply(context: OrderContext, order_id: int) -> ShopOrder:
    """Apply a stored order again from what it holds (e.g. after its products were linked)."""
    with transaction.atomic():
        order = (
            ShopOrder.objects.select_for_update(of=("self",))
            .select_related("reservation")
            .get(pk=order_id)
        )
        order.problem = settle(context, order) if counts(order) else ""
        order.save(update_fields=["problem", "reservation", "updated_at"])
    return order


def issue_order_goods(order: ShopOrder, *, user=None) -> Document:
    """The operator's one click: the order's WZ, approved, closing its reservation.

    Raises ReservationStateError (no open reservation) or InsufficientStock (nothing booked).
    """
    if order.reservation is None:
        raise ReservationStateError(_("Order %(order)s holds no reservation.") % {"order": order})
    return reservations.issue_goods(order.reservation, user=user)


def release_all(integration: Integration) -> int:
    """Release every open reservation of this integration (it stops reading orders, or goes).

    Nothing would ever close them otherwise, and they keep the units off sale in every shop
    fed from their warehouse. Returns how many were released.
    """
    released = 0
    for reservation in Reservation.objects.filter(
        channel=channel_of(integration), status=Reservation.Status.OPEN
    ):
        released += reservations.release(reservation)
    return released


def counts(order: ShopOrder) -> bool:
    """Whether the order is the ledger's business: placed after linking, or imported."""
    return order.imported or not order.predates_link


def settle(context: OrderContext, order: ShopOrder) -> str:
    """Hold, issue or release the order's reservation by its state; returns its problems."""
    role = context.roles.get(order.ps_state_id)
    wanted, problems = _linked_units(context, order.lines)
    if role is None:
        role = Role.RESERVE  # holding is the safe side: a unit held is never sold twice
        problems.append(
            _("The shop's order state %(state)s is unknown: the order holds its stock.")
            % {"state": order.ps_state_id}
        )
    if role == Role.RELEASE:
        return " ".join(problems + _release(order))
    if context.warehouse is None:
        return " ".join([*problems, _("No warehouse exists to reserve the order's stock in.")])
    problems += _hold(context, order, wanted)
    if role == Role.SHIP and context.integration.issue_on_shipped:
        problems += _issue(order)
    return " ".join(problems)


def _hold(context: OrderContext, order: ShopOrder, wanted: dict[int, int]) -> list[str]:
    reservation = reservations.hold(
        channel=channel_of(context.integration),
        order_id=order.ps_order_id,
        warehouse=context.warehouse,
        lines=wanted,
        reference=order.reference,
        channel_name=context.integration.name,
    )
    order.reservation = reservation or order.reservation
    if reservation is None or reservation.status != Reservation.Status.ISSUED:
        return []
    issued = dict(reservation.lines.values_list("product_id", "quantity"))
    if issued == wanted:
        return []
    return [
        _(
            "The order changed after its goods issue %(document)s: correct the ledger by hand "
            "if its products changed."
        )
        % {"document": reservation.document}
    ]


def _issue(order: ShopOrder) -> list[str]:
    reservation = order.reservation
    if reservation is None or reservation.status != Reservation.Status.OPEN:
        return []
    if not reservation.lines.exists():
        return []
    try:
        with transaction.atomic():
            reservations.issue_goods(reservation)
    except LedgerError as error:
        return [_("The goods issue was not booked: %(error)s") % {"error": error}]
    return []


def _release(order: ShopOrder) -> list[str]:
    reservation = order.reservation
    if reservation is None:
        return []
    if reservation.status == Reservation.Status.ISSUED:
        return [
            _(
                "The order was cancelled after its goods issue %(document)s: book the return "
                "by hand if the goods came back."
            )
            % {"document": reservation.document}
        ]
    reservations.release(reservation)
    return []


def _products_of(context: OrderContext, lines: list) -> set[int]:
    found = (
        context.products.get((id_product, id_attribute)) for id_product, id_attribute, _q in lines
    )
    return {product_id for product_id in found if product_id is not None}


def _linked_units(context: OrderContext, lines: list) -> tuple[dict[int, int], list[str]]:
    """{product id: units} of the linked lines, and a problem naming the unlinked ones."""
    wanted: dict[int, int] = {}
    unlinked: list[str] = []
    for id_product, id_attribute, quantity in lines:
        product_id = context.product_of((id_product, id_attribute))
        if product_id is None:
            unlinked.append(f"{id_product}/{id_attribute}: {quantity}")
        elif quantity > 0:
            wanted[product_id] = wanted.get(product_id, 0) + quantity
    if not unlinked:
        return wanted, []
    problem = _(
        "Products of the order are not linked, so their units are not reserved "
        "(shop product/combination: units): %(lines)s."
    ) % {"lines": ", ".join(unlinked)}
    return wanted, [problem]


def _locked_order(integration: Integration, head: OrderHead) -> ShopOrder:
    """The order's row, locked; inserted first if this is the first time it is seen."""
    ShopOrder.objects.bulk_create(
        [
            ShopOrder(
                integration=integration,
                ps_order_id=head.id,
                ps_state_id=head.current_state,
                date_add=head.date_add,
                date_upd=head.date_upd,
            )
        ],
        ignore_conflicts=True,
    )
    return (
        ShopOrder.objects.select_for_update(of=("self",))
        .select_related("reservation")
        .get(integration=integration, ps_order_id=head.id)
    )


def _predates(context: OrderContext, head: OrderHead) -> bool:
    return context.baseline_order_id is not None and head.id <= context.baseline_order_id
