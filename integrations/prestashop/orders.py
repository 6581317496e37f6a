"""Reading orders, their lines, the order states and configuration values (JSON lists).

As the real 8.1.2 answers them (transcripts orders/70-156): `date_upd` may be filtered or
sorted only with `date=1` (without it: 500, codes 32/38), a `>` bound is strict and its
value is the shop's local time; `filter[name]=[A|B]` works on configurations; order lines
come from order_details filtered by `id_order=[1|2]`; in JSON `current_state` is an int and
the state flags are "0"/"1" strings. Dates are returned exactly as the shop wrote them.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from . import parsing, query, reads
from .errors import UnexpectedResponse
from .transport import Transport

ORDERS = ("orders", "order")
DETAILS = ("order_details", "order_detail")
STATES = ("order_states", "order_state")
CONFIGURATIONS = ("configurations", "configuration")
ORDER_DISPLAY = "[id,reference,current_state,id_shop,date_add,date_upd]"
DETAIL_DISPLAY = "[id,id_order,product_id,product_attribute_id,product_quantity]"
CONFIGURATION_DISPLAY = "[id,name,value]"
ORDER_PAGE_SIZE = 500
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@dataclass(frozen=True)
class OrderHead:
    """An order as the list shows it; dates are the shop's local "YYYY-MM-DD HH:MM:SS"."""

    id: int
    reference: str
    current_state: int
    id_shop: int
    date_add: str
    date_upd: str


@dataclass(frozen=True)
class OrderLine:
    """One order_detail: units of a product (or one of its combinations) in an order."""

    id: int
    id_order: int
    product_id: int
    product_attribute_id: int
    quantity: int

    @property
    def key(self) -> tuple[int, int]:
        """(id_product, id_product_attribute), as a stock row and a link are keyed."""
        return (self.product_id, self.product_attribute_id)


@dataclass(frozen=True)
class OrderStateInfo:
    """One order state with the flags that say what it does (ids differ per shop)."""

    id: int
    name: str
    shipped: bool
    paid: bool
    logable: bool
    delivery: bool
    deleted: bool


def changed_orders(
    transport: Transport, since: str | None, *, shop_id: int | None = None
) -> Iterator[OrderHead]:
    """Orders whose date_upd is after `since` (shop-local, strict; None: every order)."""
    filters: query.Params = []
    if since is not None:
        filters = [("filter[date_upd]", f">[{check_date(since)}]"), ("date", "1")]
    yield from _orders(transport, filters, shop_id=shop_id)


def orders_in_states(
    transport: Transport, state_ids: Iterable[int], *, up_to_id: int, shop_id: int | None = None
) -> Iterator[OrderHead]:
    """Orders now in one of these states whose id is at most `up_to_id`."""
    states = sorted(set(state_ids))
    if not states or up_to_id < 1:
        return
    filters = [("filter[current_state]", query.id_list(states)), ("filter[id]", f"[1,{up_to_id}]")]
    yield from _orders(transport, filters, shop_id=shop_id)


def newest_order(transport: Transport, *, shop_id: int | None = None) -> OrderHead | None:
    """The order changed last (the greatest date_upd, then id), or None in a shop with none."""
    params = [
        ("display", ORDER_DISPLAY),
        *_shop_filter(shop_id),
        ("sort", "[date_upd_DESC,id_DESC]"),
        ("limit", "0,1"),
        ("date", "1"),
        ("output_format", "JSON"),
    ]
    reply = transport.send("GET", ORDERS[0], params=params)
    items = parsing.list_items(parsing.parse_body(reply.body, reply.content_type), *ORDERS)
    return order_head(items[0]) if items else None


def highest_order_id(transport: Transport, *, shop_id: int | None = None) -> int:
    """The greatest order id (0 in a shop with no orders)."""
    params = [
        ("display", "[id]"),
        *_shop_filter(shop_id),
        ("sort", "[id_DESC]"),
        ("limit", "0,1"),
        ("output_format", "JSON"),
    ]
    reply = transport.send("GET", ORDERS[0], params=params)
    items = parsing.list_items(parsing.parse_body(reply.body, reply.content_type), *ORDERS)
    return parsing.int_field(items[0], "id") if items else 0


def order_lines(
    transport: Transport, order_ids: Iterable[int], *, budget: int
) -> dict[int, list[OrderLine]]:
    """{order id: its lines} for these orders, in as few reads as the request line allows."""
    ids = sorted(set(order_ids))
    found: dict[int, list[OrderLine]] = {order_id: [] for order_id in ids}
    for chunk in query.split_ids(ids, max_ids=250, budget=budget):
        filters = [("filter[id_order]", query.id_list(chunk))]
        params_for = _params(DETAIL_DISPLAY, filters)
        for item in reads.pages(transport, DETAILS, params_for, page_size=ORDER_PAGE_SIZE):
            line = order_line(item)
            if line.id_order not in found:
                raise UnexpectedResponse(
                    f"the shop sent a line of order {line.id_order}, which was not asked for "
                    "— it may be ignoring filters"
                )
            found[line.id_order].append(line)
    return found


def order_states(transport: Transport) -> list[OrderStateInfo]:
    """Every order state with its flags (display=full: the flags come as "0"/"1")."""
    params = [("display", "full"), ("sort", "[id_ASC]"), ("output_format", "JSON")]
    reply = transport.send("GET", STATES[0], params=params)
    items = parsing.list_items(parsing.parse_body(reply.body, reply.content_type), *STATES)
    return [order_state(item) for item in items]


def configuration_values(transport: Transport, names: Iterable[str]) -> dict[str, str]:
    """{name: value} of these configuration keys (global rows; keys the shop lacks absent)."""
    wanted = sorted(set(names))
    params = [
        ("filter[name]", "[" + "|".join(wanted) + "]"),
        ("display", CONFIGURATION_DISPLAY),
        ("output_format", "JSON"),
    ]
    reply = transport.send("GET", CONFIGURATIONS[0], params=params)
    items = parsing.list_items(parsing.parse_body(reply.body, reply.content_type), *CONFIGURATIONS)
    values: dict[str, str] = {}
    for item in items:
        name = parsing.text_field(item, "name")
        if name in wanted:
            # A multistore shop may hold shop-specific rows too; the first row is the global.
            values.setdefault(name, parsing.text_field(item, "value", lenient=True))
    return values


def order_head(item: dict[str, Any]) -> OrderHead:
    return OrderHead(
        id=parsing.int_field(item, "id"),
        reference=parsing.text_field(item, "reference", lenient=True),
        current_state=parsing.int_field(item, "current_state"),
        id_shop=parsing.int_field(item, "id_shop", lenient=True),
        # Informational only (the cursor is date_upd): a list displayed without it is fine.
        date_add=_date_or_empty(parsing.text_field(item, "date_add", lenient=True)),
        date_upd=check_date(parsing.text_field(item, "date_upd")),
    )


def order_line(item: dict[str, Any]) -> OrderLine:
    return OrderLine(
        id=parsing.int_field(item, "id"),
        id_order=parsing.int_field(item, "id_order"),
        product_id=parsing.int_field(item, "product_id"),
        product_attribute_id=parsing.int_field(item, "product_attribute_id", lenient=True),
        quantity=parsing.int_field(item, "product_quantity"),
    )


def order_state(item: dict[str, Any]) -> OrderStateInfo:
    def flag(name: str) -> bool:
        return parsing.int_field(item, name, lenient=True) == 1

    return OrderStateInfo(
        id=parsing.int_field(item, "id"),
        name=_first_language(item.get("name")),
        shipped=flag("shipped"),
        paid=flag("paid"),
        logable=flag("logable"),
        delivery=flag("delivery"),
        deleted=flag("deleted"),
    )


def check_date(value: str) -> str:
    """A shop date "YYYY-MM-DD HH:MM:SS", refused in any other shape."""
    if not _DATE.match(value):
        raise UnexpectedResponse(f"the shop sent the date {value[:40]!r}, not YYYY-MM-DD HH:MM:SS")
    return value


def _date_or_empty(value: str) -> str:
    return check_date(value) if value else ""


def _orders(transport, filters: query.Params, *, shop_id: int | None) -> Iterator[OrderHead]:
    params_for = _params(ORDER_DISPLAY, [*filters, *_shop_filter(shop_id)])
    for item in reads.pages(transport, ORDERS, params_for, page_size=ORDER_PAGE_SIZE):
        yield order_head(item)


def _params(display: str, filters: query.Params):
    return lambda offset: query.list_params(
        display=display, filters=filters, offset=offset, page_size=ORDER_PAGE_SIZE
    )


def _shop_filter(shop_id: int | None) -> query.Params:
    # Orders carry their shop as a column; the id_shop context parameter does not filter them.
    return [] if shop_id is None else [("filter[id_shop]", f"[{shop_id}]")]


def _first_language(value: Any) -> str:
    """A translated field: [{"id": 1, "value": "Shipped"}, ...] in JSON, or plain text."""
    if isinstance(value, list):
        texts = [str(entry.get("value", "")) for entry in value if isinstance(entry, dict)]
        return next((text for text in texts if text), "")
    return "" if value is None else str(value)
