"""What orders do to ps_stock_available, as PrestaShop 8.1 does it (no advanced stock management).

- StockAvailable::updateQuantity changes `quantity` by a delta (its save recomputes the product
  row of a combination, as a webservice write does) and leaves physical/reserved alone.
- StockManager::updatePhysicalProductQuantity(id_shop, PS_OS_ERROR, PS_OS_CANCELED, null, order)
  ("sync all stock", run after every state change) sets, for every row of the order's products
  in the order's shop, reserved = units of the not-shipped orders that are valid or neither in
  error nor cancelled, and physical = quantity + reserved.
"""

from collections import defaultdict

from prestashop_sim.orders_store import Order, OrderBook
from prestashop_sim.stock import ShopContext, save_row
from prestashop_sim.store import StockRow, Store


def update_quantity(store: Store, pid: int, attr: int, delta: int, id_shop: int) -> None:
    """StockAvailable::updateQuantity (skipped when the product depends on stock)."""
    if delta == 0:
        return
    scope = store.layout.scope_of_shop(id_shop)
    product_row = _find_row(store, pid, 0, scope)
    if product_row is not None and product_row.depends_on_stock:
        return
    row = _find_row(store, pid, attr, scope)
    if row is None:
        # StockManager::getStockAvailableByProduct creates the missing row at 0 first.
        row = store.add_row(StockRow(store.next_row_id(), pid, attr, scope[0], scope[1], 0))
    context = ShopContext(frozenset({id_shop}), id_shop)
    save_row(store, row, {"quantity": row.quantity + delta}, context)
    store.hook_events.append(
        {
            "hook": "actionUpdateQuantity",
            "id_product": pid,
            "id_product_attribute": attr,
            "quantity": row.quantity,
        }
    )


def quantity_of(store: Store, pid: int, attr: int, id_shop: int) -> int:
    """The row's quantity in the shop's stock scope (0 when it has no row)."""
    row = _find_row(store, pid, attr, store.layout.scope_of_shop(id_shop))
    return 0 if row is None else row.quantity


def sync_physical(store: Store, book: OrderBook, order: Order) -> None:
    """updatePhysicalProductQuantity restricted to the products still in the order."""
    products = {d.product_id for d in book.details_of(order.id)}
    net = _reserved(book, order.id_shop, products)
    for pid in products:
        for row in store.rows_by_product.get(pid, {}).values():
            if row.id_shop != order.id_shop:
                continue  # `WHERE sa.id_shop = :shop_id`: rows of a shared-stock group never match
            reserved = net.get((pid, row.id_product_attribute), 0)
            book.reserved[row.id] = reserved
            book.physical[row.id] = row.quantity + reserved


def _reserved(book: OrderBook, id_shop: int, products: set[int]) -> dict[tuple[int, int], int]:
    error, cancelled = book.config_id("PS_OS_ERROR"), book.config_id("PS_OS_CANCELED")
    net: dict[tuple[int, int], int] = defaultdict(int)
    for detail in book.details.values():
        order = book.orders.get(detail.id_order)
        if detail.product_id not in products or order is None or order.id_shop != id_shop:
            continue
        state = book.states.get(order.current_state)
        if state is None or state.has("shipped"):
            continue
        if order.valid != "1" and state.id in (error, cancelled):
            continue
        key = (detail.product_id, detail.product_attribute_id)
        net[key] += detail.product_quantity - detail.product_quantity_refunded
    return net


def capture_physical(store: Store, book: OrderBook) -> None:
    """Start every existing row consistent: physical = quantity, nothing reserved."""
    for row in store.rows.values():
        book.physical[row.id] = row.quantity
        book.reserved[row.id] = 0


def hidden_rows(store: Store, book: OrderBook, ids: list[int] | None) -> list[dict]:
    """Stock rows with the columns the webservice never shows."""
    rows = store.rows.values() if ids is None else (store.rows[i] for i in ids if i in store.rows)
    return [
        {
            "id": r.id,
            "id_product": r.id_product,
            "id_product_attribute": r.id_product_attribute,
            "quantity": r.quantity,
            "physical_quantity": book.physical.get(r.id, 0),
            "reserved_quantity": book.reserved.get(r.id, 0),
        }
        for r in sorted(rows, key=lambda r: r.id)
    ]


def _find_row(store: Store, pid: int, attr: int, scope: tuple[int, int]) -> StockRow | None:
    for row in store.rows_by_product.get(pid, {}).values():
        if row.id_product_attribute == attr and (row.id_shop, row.id_shop_group) == scope:
            return row
    return None
