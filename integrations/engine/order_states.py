"""The shop's order states and what each does to a reservation (ids differ from shop to shop).

Read from the shop (order_states, and the PS_OS_* configuration keys naming the special ones)
and stored per integration. A state's role defaults from what the shop says of it: its
configured cancel, refund and payment-error states release the stock (the shop itself gives
the units back on cancel and payment error), a state flagged shipped ships, every other state
holds the stock. A role the operator chose in the admin is never overwritten.
"""

from django.db import transaction
from django.utils import timezone

from integrations.models import Integration, OrderFeed, ShopOrderState
from integrations.prestashop import OrderStateInfo

Role = ShopOrderState.Role
RELEASING_KEYS = ("PS_OS_CANCELED", "PS_OS_REFUND", "PS_OS_ERROR")
CONFIG_KEYS = (*RELEASING_KEYS, "PS_OS_SHIPPING", "PS_OS_DELIVERED", "PS_OS_PAYMENT")
TIMEZONE_KEY = "PS_TIMEZONE"


def default_role(state: OrderStateInfo, config_key: str) -> str:
    """What a state does unless the operator says otherwise."""
    if config_key in RELEASING_KEYS:
        return Role.RELEASE
    if state.shipped:
        return Role.SHIP
    return Role.RESERVE


def refresh_states(integration: Integration, feed: OrderFeed, client) -> None:
    """Read the shop's states and configuration keys (2 requests) and store them."""
    states = client.fetch_order_states()
    config = client.fetch_configuration([*CONFIG_KEYS, TIMEZONE_KEY])
    keys_by_state = {
        int(value): name
        for name, value in config.items()
        if name in CONFIG_KEYS and value.strip().isdigit()
    }
    with transaction.atomic():
        store_states(integration, states, keys_by_state)
        feed.shop_timezone = config.get(TIMEZONE_KEY, "")[:64]
        feed.states_read_at = timezone.now()
        feed.save(update_fields=["shop_timezone", "states_read_at"])


def store_states(
    integration: Integration, states: list[OrderStateInfo], keys_by_state: dict[int, str]
) -> None:
    """Create or update the stored states; keep the operator's roles; flag vanished states."""
    stored = {s.ps_state_id: s for s in ShopOrderState.objects.filter(integration=integration)}
    for info in states:
        key = keys_by_state.get(info.id, "")
        row = stored.get(info.id) or ShopOrderState(integration=integration, ps_state_id=info.id)
        row.name, row.config_key, row.missing_in_shop = info.name[:128], key, False
        row.shipped, row.paid, row.logable, row.delivery = (
            info.shipped,
            info.paid,
            info.logable,
            info.delivery,
        )
        if not row.role_set_by_operator:
            row.role = default_role(info, key)
        row.save()
    seen = {info.id for info in states}
    ShopOrderState.objects.filter(integration=integration).exclude(ps_state_id__in=seen).update(
        missing_in_shop=True
    )


def roles_of(integration: Integration) -> dict[int, str]:
    """{state id: role} of the integration's stored states."""
    return dict(
        ShopOrderState.objects.filter(integration=integration).values_list("ps_state_id", "role")
    )


def set_role(state: ShopOrderState, role: str) -> None:
    """The operator's choice for a state: kept from now on, whatever the shop says."""
    state.role, state.role_set_by_operator = role, True
    state.save(update_fields=["role", "role_set_by_operator"])
