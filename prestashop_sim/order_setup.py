"""Give a simulated shop its order tables, and keys the right to read them."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prestashop_sim import order_states
from prestashop_sim.auth import ApiKey
from prestashop_sim.order_resources import ORDER_RESOURCES
from prestashop_sim.order_stock import capture_physical
from prestashop_sim.orders_store import OrderBook
from prestashop_sim.store import Store

DEFAULT_TIMEZONE = "Europe/Paris"  # PS_TIMEZONE of the recorded shop


def install(
    store: Store,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    states: list[dict] | None = None,
    initial_state: int | None = None,
    seed: int = 1,
    clock=None,
) -> OrderBook:
    """Attach empty order tables to the store; `states` is an order_states spec (None: recorded).

    Every existing stock row starts with physical = quantity and nothing reserved.
    """
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {timezone!r}") from error
    rows, configs = order_states.build(states, timezone=timezone)
    if initial_state is not None and initial_state not in {s.id for s in rows}:
        raise ValueError(f"initial_state {initial_state} is not one of the order states")
    options = {"clock": clock} if clock is not None else {}
    book = OrderBook(
        {s.id: s for s in rows},
        {c.id: c for c in configs},
        timezone=timezone,
        initial_state=initial_state,
        seed=seed,
        **options,
    )
    with store.lock:
        capture_physical(store, book)
        store.orders = book
    return book


def grant_order_reads(keys: dict[str, ApiKey]) -> None:
    """Every key that may read stock may also GET/HEAD the order-side resources."""
    for account in keys.values():
        if "stock_availables" in account.permissions:
            for name in ORDER_RESOURCES:
                account.permissions.setdefault(name, set()).update({"GET", "HEAD"})
