"""Test helpers that place and move orders: mixed into SimHandle and ProcessHandle.

Every helper goes through the side endpoint's routes (order_side), in-process or over HTTP,
and returns what the route answers: the order as {"id", "reference", "current_state",
"valid", "date_add", "date_upd", "total_paid", "id_shop", "lines": [...]}.
"""


def order_line(line) -> dict:
    """(id_product, id_product_attribute, quantity), (id_product, quantity) or a dict."""
    if isinstance(line, dict):
        return dict(line)
    if len(line) == 2:
        return {"id_product": line[0], "id_product_attribute": 0, "quantity": line[1]}
    pid, attr, quantity = line
    return {"id_product": pid, "id_product_attribute": attr, "quantity": quantity}


class OrderHelpers:
    """Orders as a customer and a back office make them (see prestashop_sim.orders)."""

    def _order_call(self, method: str, name: str, payload: dict) -> dict:
        raise NotImplementedError

    def place_order(self, lines, **options) -> dict:
        """A customer's order; options: state, date, reference, id_customer, id_shop, ..."""
        payload = {"lines": [order_line(line) for line in lines], **options}
        return self._order_call("POST", "orders", payload)

    def set_order_state(self, order_id: int, state: int | str, **options) -> dict:
        """Move an order to a state id, or through an action name (ship, cancel, ...)."""
        key = "action" if isinstance(state, str) else "state"
        payload = {"id_order": order_id, key: state, **options}
        return self._order_call("POST", "orders/state", payload)

    def pay_order(self, order_id: int, **options) -> dict:
        """Set PS_OS_PAYMENT (Payment accepted)."""
        return self.set_order_state(order_id, "pay", **options)

    def ship_order(self, order_id: int, **options) -> dict:
        """Set PS_OS_SHIPPING: the reservation ends, quantity stays."""
        return self.set_order_state(order_id, "ship", **options)

    def deliver_order(self, order_id: int, **options) -> dict:
        """Set PS_OS_DELIVERED."""
        return self.set_order_state(order_id, "deliver", **options)

    def cancel_order(self, order_id: int, **options) -> dict:
        """Set PS_OS_CANCELED: the units go back to quantity."""
        return self.set_order_state(order_id, "cancel", **options)

    def refund_order(self, order_id: int, **options) -> dict:
        """Set PS_OS_REFUND: after shipping, the reservation comes back."""
        return self.set_order_state(order_id, "refund", **options)

    def add_order_line(self, order_id: int, line, **options) -> dict:
        """Back-office "add a product"; the answer carries the new id_order_detail."""
        payload = {"id_order": order_id, **order_line(line), **options}
        return self._order_call("POST", "orders/lines", payload)

    def remove_order_line(self, order_id: int, detail_id: int, **options) -> dict:
        """Back-office "delete a product" from an order."""
        payload = {"id_order": order_id, "id_order_detail": detail_id, **options}
        return self._order_call("POST", "orders/lines/remove", payload)

    def orders(self, ids=None) -> list[dict]:
        """Orders with their lines (all, or by ids)."""
        return self._order_call("GET", "orders", _ids(ids))["orders"]

    def hidden_stock(self, ids=None) -> list[dict]:
        """Stock rows with physical_quantity and reserved_quantity (never on the webservice)."""
        return self._order_call("GET", "orders/stock", _ids(ids))["rows"]


def _ids(ids) -> dict:
    return {} if not ids else {"ids": ",".join(str(i) for i in ids)}
