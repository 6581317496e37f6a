"""The recorded PrestaShop 8.1.2 shop as it stood before transcripts orders/88-156.

Recorded (../reference/prestashop-transcripts/orders): stock rows 3, 7 and 32-34 with their
quantities, products 1-4, 7 and 8 with their ids, references and prices, orders 1-5 (ids,
references, states, dates), lines 1-4 and order 1 in full, histories 1 and 6, the order
states and their configuration keys. Everything else here (other quantities, orders 2-5
beyond their listed fields, lines 5-7, histories 2-5 and 7) is a plausible filler that no
transcript shows and that leaves products 3 and 7 alone.
"""

from decimal import Decimal

from prestashop_sim.catalogue import CombinationItem, Item
from prestashop_sim.orders_store import Order, OrderDetail, OrderHistory, money
from prestashop_sim.store import Store

INSTALLED = "2026-11-30 01:28:42"  # date_add/date_upd of the demo orders, shop-local
# id: (reference, name, price, {id_product_attribute: (stock id, quantity)} or (stock id, qty))
PRODUCTS = {
    1: ("demo_1", "Hummingbird printed t-shirt", "23.9", {a: (19 + a, 300) for a in range(1, 9)}),
    2: ("demo_3", "Hummingbird printed sweater", "35.9", {a: (19 + a, 300) for a in range(9, 13)}),
    3: ("demo_6", "The best is yet to come' Framed poster", "29", {13: (32, 16), 14: (33, 23),
                                                                   15: (34, 30)}),
    4: ("demo_5", "The adventure begins Framed poster", "29", {a: (19 + a, 300) for a in (16, 17,
                                                                                          18)}),
    7: ("demo_12", "Mug The adventure begins", "11.9", (7, 24)),
    8: ("demo_13", "Mug Today is a good day", "11.9", (8, 300)),
}  # fmt: skip
# id: (reference, current_state, states in history order, id_cart)
ORDERS = {
    1: ("XKBKNABJK", 6, (1, 6)),
    2: ("OHSATSERP", 1, (1,)),
    3: ("UOYEVOLI", 8, (1, 8)),
    4: ("FFATNOMMJ", 1, (1,)),
    5: ("KHWLILZLL", 10, (10,)),
}
# id: (id_order, product, combination, quantity, name)
LINES = {
    1: (1, 1, 1, 1, "Hummingbird printed t-shirt - Color : White, Size : S"),
    2: (1, 2, 9, 1, "Hummingbird printed sweater - Color : White, Size : S"),
    3: (2, 4, 18, 2, "The adventure begins Framed poster - Dimension : 80x120cm"),
    4: (2, 8, 0, 1, "Mug Today is a good day"),
    5: (3, 2, 10, 1, "Hummingbird printed sweater - Color : White, Size : M"),
    6: (4, 1, 3, 1, "Hummingbird printed t-shirt - Color : White, Size : L"),
    7: (5, 8, 0, 1, "Mug Today is a good day"),
}
ORDER_1 = {  # orders/85: the demo order's amounts include a tax the simulated shop does not have
    "note": "Test",
    "secure_key": "b44a6d9efd7a0076a0fbce6b15eaf3b1",
    "total_paid": "61.800000",
    "total_paid_tax_incl": "68.200000",
    "total_paid_tax_excl": "66.800000",
    "total_shipping_tax_incl": "8.400000",
}


def recorded_items() -> list[Item]:
    """Products 1-4, 7 and 8 with the recorded stock row ids (orders/88 for rows 3, 7, 32-34)."""
    items = []
    for pid, (reference, name, _price, stock) in PRODUCTS.items():
        if isinstance(stock, tuple):
            items.append(Item(reference, id=pid, name=name, stock_id=stock[0], quantity=stock[1]))
            continue
        combos = [
            CombinationItem(f"C-{pid}-{attr}", quantity=qty, id=attr, stock_id=sid)
            for attr, (sid, qty) in stock.items()
        ]
        items.append(Item(reference, id=pid, name=name, stock_id=pid, combinations=combos))
    return items


def seed_recorded_orders(store: Store) -> None:
    """Prices, the demo orders 1-5 with their lines and histories; stock as installed."""
    book = store.orders
    with store.lock:
        for pid, (_ref, _name, price, _stock) in PRODUCTS.items():
            store.products[pid].price = money(price)
        for line_id, (order_id, pid, attr, quantity, name) in LINES.items():
            reference, price = PRODUCTS[pid][0], money(PRODUCTS[pid][2])
            detail = OrderDetail(line_id, order_id, pid, attr, quantity, name, reference, price)
            book.details[line_id] = detail
        history_id = len(ORDERS)
        for order_id, (reference, state, states) in ORDERS.items():
            book.orders[order_id] = _demo_order(book, order_id, reference, state)
            for position, state_id in enumerate(states):
                if position == 0:
                    entry = OrderHistory(order_id, order_id, state_id, 0, INSTALLED)
                else:
                    history_id += 1
                    entry = OrderHistory(history_id, order_id, state_id, 1, INSTALLED)
                book.histories[entry.id] = entry
        book.histories = dict(sorted(book.histories.items()))
        for row in store.rows.values():  # the installer never computes them
            book.physical[row.id] = book.reserved[row.id] = 0


def _demo_order(book, order_id: int, reference: str, state: int) -> Order:
    lines = book.details_of(order_id)
    products = sum((Decimal(d.product_price) * d.product_quantity for d in lines), Decimal(0))
    paid = money(products + 7)
    order = Order(
        id=order_id,
        reference=reference,
        current_state=state,
        date_add=INSTALLED,
        date_upd=INSTALLED,
        id_cart=order_id,
        secure_key="b44a6d9efd7a0076a0fbce6b15eaf3b1",
        module="ps_checkpayment",
        payment="Payment by check",
        total_paid=paid,
        total_paid_tax_incl=paid,
        total_paid_tax_excl=paid,
        total_products=money(products),
        total_products_wt=money(products),
        total_shipping=money(7),
        total_shipping_tax_incl=money(7),
        total_shipping_tax_excl=money(7),
        round_mode=0,
        round_type=0,
    )
    for name, value in ORDER_1.items() if order_id == 1 else ():
        setattr(order, name, value)
    return order
