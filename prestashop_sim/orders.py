"""Orders as the shop's own code makes them: a customer's checkout (PaymentModule::validateOrder),
a state change (OrderHistory::changeIdOrderState) and a back-office line edit.

Every function takes the store's lock, raises ValueError for a request the shop would refuse
and changes nothing then, and writes shop-local dates (an explicit `date` overrides the clock).
"""

import hashlib
import re
from decimal import Decimal

from prestashop_sim.order_stock import quantity_of, sync_physical, update_quantity
from prestashop_sim.orders_store import (
    Order,
    OrderBook,
    OrderDetail,
    OrderHistory,
    OrderState,
    money,
)
from prestashop_sim.store import Store

ORDER_OPTIONS = frozenset(
    {
        "id_customer",
        "id_address_delivery",
        "id_address_invoice",
        "id_cart",
        "id_carrier",
        "id_currency",
        "id_lang",
        "id_shop",
        "module",
        "payment",
        "reference",
        "secure_key",
        "shipping",
        "note",
    }
)
LINE_OPTIONS = frozenset(
    {"id_product", "id_product_attribute", "quantity", "name", "reference", "price"}
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def book_of(store: Store) -> OrderBook:
    """The store's order tables (prestashop_sim.order_setup.install puts them there)."""
    if store.orders is None:
        raise ValueError("this simulated shop takes no orders (order_setup.install was not run)")
    return store.orders


def place_order(
    store: Store, lines: list[dict], *, state: int | None = None, date: str | None = None, **options
) -> Order:
    """A customer's order: lines of {id_product, id_product_attribute, quantity}."""
    unknown = set(options) - ORDER_OPTIONS
    if unknown:
        raise ValueError(f"unknown order options: {sorted(unknown)}")
    with store.lock:
        book = book_of(store)
        new = book.state(book.default_state() if state is None else state)
        when = _when(book, date)
        shop = int(options.get("id_shop", 1))
        priced = [_priced_line(store, line, shop) for line in lines]
        if not priced:
            raise ValueError("an order needs at least one line")
        order = _new_order(store, book, options, when)
        details = [_add_detail(book, order, line) for line in priced]
        _apply_totals(book, order)
        if new.id not in _error_or_canceled(book):  # OrderDetail::checkProductStock
            for detail in details:
                _take(store, order, detail, -1)
        if new.has("logable"):  # validateOrder registers the payment
            order.total_paid_real = order.total_paid
        _enter_state(store, book, order, new, employee=0, when=when)
        return order


def change_state(
    store: Store, order_id: int, state_id: int, *, employee: int = 1, date: str | None = None
) -> Order:
    """OrderHistory::changeIdOrderState + add(), as the back office does it."""
    with store.lock:
        book = book_of(store)
        order, new = book.order(order_id), book.state(state_id)
        _enter_state(store, book, order, new, employee=int(employee), when=_when(book, date))
        return order


def add_line(store: Store, order_id: int, line: dict, *, date: str | None = None) -> OrderDetail:
    """Back office "add a product" (AddProductToOrderHandler): refused once shipped."""
    with store.lock:
        book = book_of(store)
        order = book.order(order_id)
        if _has_been(book, order, lambda s: s.has("shipped")):
            raise ValueError("Cannot add product to shipped order.")
        priced = _priced_line(store, line, order.id_shop)
        when = _when(book, date)
        detail = _add_detail(book, order, priced)
        if order.current_state not in _error_or_canceled(book):
            _take(store, order, detail, -1)
        # No reservation sync here: StockAvailable::synchronize does nothing without ASM.
        _apply_totals(book, order)
        order.date_upd = when
        return detail


def remove_line(store: Store, order_id: int, detail_id: int, *, date: str | None = None) -> None:
    """Back office "delete a product" (OrderProductQuantityUpdater with quantity 0)."""
    with store.lock:
        book = book_of(store)
        order = book.order(order_id)
        detail = book.details.get(int(detail_id))
        if detail is None or detail.id_order != order.id:
            raise ValueError("Order detail does not belong to order.")
        delivered = book.config_id("PS_OS_DELIVERED")
        if _has_been(book, order, lambda s: s.id == delivered):
            raise ValueError("Delivered order cannot be modified.")
        when = _when(book, date)
        del book.details[detail.id]  # deleted before the stock sync, as PrestaShop does
        if detail.id_warehouse == 0:
            _take(store, order, detail, +1)
            sync_physical(store, book, order)
        _apply_totals(book, order)
        order.date_upd = when


def _enter_state(store, book: OrderBook, order: Order, new: OrderState, *, employee, when) -> None:
    old = book.states.get(order.current_state) if order.current_state else None
    if old is not None:
        sign = _restock_sign(old, new, _error_or_canceled(book))
        for detail in book.details_of(order.id) if sign else ():
            _take(store, order, detail, sign)
    order.current_state = new.id
    order.valid = new.logable
    order.date_upd = when
    _paperwork(book, order, new, when)
    history_id = book.allocate("order_histories")
    book.histories[history_id] = OrderHistory(history_id, order.id, new.id, employee, when)
    sync_physical(store, book, order)


def _restock_sign(old: OrderState, new: OrderState, error_or_canceled: set) -> int:
    """The stock branches of changeIdOrderState: -1 takes the units, +1 gives them back."""
    if new.has("logable") and not old.has("logable"):
        return -1 if old.id in error_or_canceled else 0
    if old.has("logable") and not new.has("logable"):
        return 1 if new.id in error_or_canceled else 0
    if not new.has("logable") and not old.has("logable"):
        # "if waiting for payment => payment error/canceled"
        return 1 if new.id in error_or_canceled and old.id not in error_or_canceled else 0
    return 0


def _paperwork(book: OrderBook, order: Order, new: OrderState, when: str) -> None:
    """setInvoice / setDeliverySlip, the payment of a paid state, then setDelivery."""
    if new.has("invoice") and not order.invoice_number:
        order.has_document = True
        order.invoice_number = book.next_number("invoice_number")
        order.invoice_date = when
    elif new.has("delivery") and not order.delivery_number and not order.has_document:
        order.has_document = True
        order.delivery_date = when
    if new.has("paid") and order.has_document:
        order.total_paid_real = order.total_paid
    if new.has("delivery"):
        if order.has_document and not order.delivery_number:
            order.delivery_number = book.next_number("delivery_number")
        order.delivery_date = when


def _error_or_canceled(book: OrderBook) -> set:
    return {book.config_id("PS_OS_ERROR"), book.config_id("PS_OS_CANCELED")} - {None}


def _has_been(book: OrderBook, order: Order, test) -> bool:
    """Order::hasBeenShipped/hasBeenDelivered: some history entry's state passes `test`."""
    return any(
        test(book.states[h.id_order_state])
        for h in book.histories.values()
        if h.id_order == order.id and h.id_order_state in book.states
    )


def _take(store: Store, order: Order, detail: OrderDetail, sign: int) -> None:
    quantity = sign * detail.product_quantity
    update_quantity(store, detail.product_id, detail.product_attribute_id, quantity, order.id_shop)


def _when(book: OrderBook, date: str | None) -> str:
    if date is None:
        return book.now()
    if not _DATE.match(date):
        raise ValueError(f"date must look like 2026-11-30 02:42:32, not {date!r}")
    return date


def _new_order(store: Store, book: OrderBook, options: dict, when: str) -> Order:
    values = {k: int(v) if k.startswith("id_") else str(v) for k, v in options.items()}
    shop = values.pop("id_shop", 1)
    if shop not in store.layout.shops:
        raise ValueError(f"no shop {shop}")
    shipping = money(values.pop("shipping", "7"))
    customer = values.get("id_customer", 2)
    values.setdefault("reference", book.new_reference())
    key = hashlib.md5(f"customer-{customer}".encode(), usedforsecurity=False).hexdigest()
    values.setdefault("secure_key", key)
    carts = (o.id_cart for o in book.orders.values())
    values.setdefault("id_cart", max(carts, default=0) + 1)
    order = Order(
        id=book.allocate("orders"),
        current_state=0,
        date_add=when,
        date_upd=when,
        id_shop=shop,
        id_shop_group=store.layout.group_of(shop),
        **values,
    )
    order.total_shipping = order.total_shipping_tax_incl = order.total_shipping_tax_excl = shipping
    book.orders[order.id] = order
    return order


def _priced_line(store: Store, line: dict, id_shop: int) -> dict:
    """A line checked against the catalogue, with the name, reference and price to record."""
    unknown = set(line) - LINE_OPTIONS
    if unknown:
        raise ValueError(f"unknown order line keys: {sorted(unknown)}")
    pid, attr = int(line["id_product"]), int(line.get("id_product_attribute", 0))
    quantity = int(line["quantity"])
    product = store.products.get(pid)
    if product is None:
        raise ValueError(f"no product {pid}")
    combos = store.combinations_by_product.get(pid, [])
    if (attr == 0 and combos) or (attr and attr not in combos):
        raise ValueError(f"product {pid} is ordered as one of its combinations {combos}: {attr}")
    if quantity < 1:
        raise ValueError("an order line needs a quantity of at least 1")
    combination = store.combinations.get(attr) if attr else None
    item = combination or product
    price = Decimal(product.price) + (Decimal(combination.price) if combination else 0)
    reference = item.reference or product.reference
    name = f"{product.name} ({reference})" if combination else product.name
    return {
        "product_id": pid,
        "product_attribute_id": attr,
        "product_quantity": quantity,
        "product_name": str(line.get("name", name)),
        "product_reference": str(line.get("reference", reference)),
        "product_price": money(line.get("price", price)),
        "product_ean13": item.ean13,
        "product_isbn": item.isbn,
        "product_upc": item.upc,
        "product_mpn": item.mpn,
        "id_shop": id_shop,
        "in_stock": quantity_of(store, pid, attr, id_shop),
    }


def _add_detail(book: OrderBook, order: Order, line: dict) -> OrderDetail:
    values = dict(line)
    available = values.pop("in_stock")
    quantity = values["product_quantity"]
    in_stock = available if available - quantity < 0 else quantity
    detail = OrderDetail(
        id=book.allocate("order_details"),
        id_order=order.id,
        product_quantity_in_stock=in_stock,
        **values,
    )
    book.details[detail.id] = detail
    return detail


def _apply_totals(book: OrderBook, order: Order) -> None:
    """Products, then products + shipping - discounts (the simulated shop charges no tax)."""
    products = sum(
        (Decimal(d.product_price) * d.product_quantity for d in book.details_of(order.id)),
        Decimal(0),
    )
    order.total_products = order.total_products_wt = money(products)
    paid = products + Decimal(order.total_shipping) - Decimal(order.total_discounts)
    order.total_paid = order.total_paid_tax_incl = order.total_paid_tax_excl = money(paid)
