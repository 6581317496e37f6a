"""The side endpoint's order routes: /_sim/orders... (JSON in, JSON out).

POST /_sim/orders              {"lines": [{"id_product": 7, "id_product_attribute": 0,
                                "quantity": 2}], "state": 10?, "date": "..."?, "reference"?, ...}
POST /_sim/orders/state        {"id_order": 6, "state": 4} or {"id_order": 6, "action": "ship"}
                               (actions: pay, ship, deliver, cancel, refund, error), "employee"?
POST /_sim/orders/lines        {"id_order": 6, "id_product": 3, "id_product_attribute": 13,
                                "quantity": 1}  (a back-office "add a product")
POST /_sim/orders/lines/remove {"id_order": 6, "id_order_detail": 9}
GET  /_sim/orders?ids=6,7      the orders with their lines
GET  /_sim/orders/stock?ids=3  stock rows with physical_quantity and reserved_quantity
"""

from prestashop_sim import orders
from prestashop_sim.order_states import ACTIONS
from prestashop_sim.order_stock import hidden_rows
from prestashop_sim.orders_store import Order, OrderBook


def summary(book: OrderBook, order: Order) -> dict:
    """An order as the side endpoint reports it."""
    lines = [
        {
            "id_order_detail": d.id,
            "id_product": d.product_id,
            "id_product_attribute": d.product_attribute_id,
            "quantity": d.product_quantity,
        }
        for d in book.details_of(order.id)
    ]
    keys = ("id", "reference", "current_state", "date_add", "date_upd", "total_paid", "id_shop")
    return {k: getattr(order, k) for k in keys} | {"valid": order.valid == "1", "lines": lines}


def _place(sim, payload: dict) -> dict:
    options = dict(payload)
    lines = options.pop("lines")
    if not isinstance(lines, list):
        raise TypeError("lines must be a list of {id_product, id_product_attribute, quantity}")
    order = orders.place_order(sim.store, lines, **options)
    return _summary_of(sim, order.id)


def _set_state(sim, payload: dict) -> dict:
    options = dict(payload)
    order_id = options.pop("id_order")
    if "action" in options:
        action = options.pop("action")
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r} (known: {sorted(ACTIONS)})")
        state = orders.book_of(sim.store).config_id(ACTIONS[action])
        if state is None:
            raise ValueError(f"the shop has no {ACTIONS[action]} state")
    else:
        state = options.pop("state")
    order = orders.change_state(sim.store, order_id, state, **options)
    return _summary_of(sim, order.id)


def _add_line(sim, payload: dict) -> dict:
    line = dict(payload)
    order_id, date = line.pop("id_order"), line.pop("date", None)
    detail = orders.add_line(sim.store, order_id, line, date=date)
    return {"id_order_detail": detail.id} | _summary_of(sim, detail.id_order)


def _remove_line(sim, payload: dict) -> dict:
    order_id = payload["id_order"]
    orders.remove_line(sim.store, order_id, payload["id_order_detail"], date=payload.get("date"))
    return _summary_of(sim, order_id)


def _summary_of(sim, order_id) -> dict:
    with sim.store.lock:
        book = orders.book_of(sim.store)
        return summary(book, book.order(order_id))


def _list(sim, payload: dict) -> dict:
    book = orders.book_of(sim.store)
    with sim.store.lock:
        wanted = _ids(payload.get("ids"))
        chosen = [o for o in book.orders.values() if wanted is None or o.id in wanted]
        return {"orders": [summary(book, o) for o in chosen]}


def _stock(sim, payload: dict) -> dict:
    book = orders.book_of(sim.store)
    with sim.store.lock:
        return {"rows": hidden_rows(sim.store, book, _ids(payload.get("ids")))}


def _ids(value) -> list[int] | None:
    if value in (None, "", []):
        return None
    parts = value.split(",") if isinstance(value, str) else value
    return [int(p) for p in parts if str(p).strip()]


ROUTES = {
    ("POST", "orders"): _place,
    ("GET", "orders"): _list,
    ("POST", "orders/state"): _set_state,
    ("POST", "orders/lines"): _add_line,
    ("POST", "orders/lines/remove"): _remove_line,
    ("GET", "orders/stock"): _stock,
}
