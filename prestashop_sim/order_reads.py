"""GET of orders, order_details, order_states, order_histories and configurations.

As PrestaShop 8.1.2 answers them (transcripts orders/70-156): lists with filter/display/sort/
limit, dates filterable and sortable only with date=1 and compared as MySQL compares DATETIME
columns (a date-only bound is midnight), orders with their associations/order_rows.
"""

import dataclasses
import re

from prestashop_sim import render, render_xml
from prestashop_sim.errors import WsError
from prestashop_sim.filters import Filter, mysql_number, mysql_text
from prestashop_sim.order_resources import ORDER_RESOURCES, ORDER_ROW_FIELDS
from prestashop_sim.params import ListQuery, parse_display, parse_list, php_int
from prestashop_sim.records import text
from prestashop_sim.resources import Resource

# What the recorded shop leaks after codes 32 and 38 (orders/73, 76, 78; /srv/ps/ is its folder).
PHP_WARNINGS = tuple(
    (
        3,
        "[PHP Warning #2] Trying to access array offset on value of type bool "
        f"(/srv/ps/classes/webservice/WebserviceRequest.php, line {line})",
    )
    for line in (1333, 1334, 1335, 1336)
)
_DATE_ONLY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*$")
_ROWS_NODE = '<order_rows nodeType="order_row" virtualEntity="true"'


def execute(ws, call, name: str) -> tuple[int, bytes]:
    """Answer a call on one of the order-side resources (read-only in the simulator)."""
    resource = ORDER_RESOURCES[name]
    if call.method not in ("GET", "HEAD"):
        message = f"Method {call.method} is not allowed for the resource {name}"
        raise WsError(405, (101, message))
    segments = call.segments
    if len(segments) < 2 or segments[1] == "":
        return 200, get_list(ws, call, resource)
    body = get_single(ws, call, resource, segments[1])
    return (200, body) if body is not None else (404, b"")


def get_list(ws, call, resource: Resource) -> bytes:
    """GET /api/RESOURCE with filter/display/sort/limit/date."""
    fields = resource.fields
    try:
        query = parse_list(resource, {f.name: f for f in fields}, call.params)
    except WsError as error:
        raise _with_php_warnings(error, ws.config) from None
    except KeyError as error:  # date=1 offers date_add/date_upd on tables without them
        raise _unknown_column(error.args[0], "where") from None
    if query.schema:
        return render.schema(call, resource, fields, query.schema)
    store = ws.store
    with store.lock:
        entities = _select(store.orders, resource, query, call.ignore_filter)
        if query.display == "minimum":
            ids = [e.id for e in entities]
        else:
            shown, with_assoc = render.shown_fields(fields, query.display)
            rows = [_record(store.orders, resource, e, shown, with_assoc) for e in entities]
    if query.display == "minimum":
        return render.ids(call, resource, ids)
    return render.rows(ws, call, resource, shown, rows, xml_entity=_xml_entity)


def get_single(ws, call, resource: Resource, raw_id: str) -> bytes | None:
    """GET /api/RESOURCE/ID; None means 404 with an empty body."""
    fields = resource.fields
    display = parse_display(resource, {f.name: f for f in fields}, call.params)
    store = ws.store
    with store.lock:
        entity = store.orders.table(resource.name).get(php_int(raw_id))
        if entity is None:
            return None
        shown, with_assoc = render.shown_fields(fields, display or "full")
        record, assoc = _record(store.orders, resource, entity, shown, with_assoc)
    return render.single(ws, call, resource, shown, record, assoc, xml_entity=_xml_entity)


def _with_php_warnings(error: WsError, config) -> WsError:
    """On PHP 8 the list code goes on with a `false` filter list and PHP's warnings follow."""
    if not config.php_warnings or error.errors[0][0] not in (32, 38):
        return error
    return WsError(500, *error.errors, *PHP_WARNINGS)


def _unknown_column(name: str, clause: str) -> WsError:
    """MySQL refusing the list query (not recorded: the message is MySQL's own)."""
    return WsError(500, (3, f"Unknown column 'main.{name}' in '{clause} clause'"))


def _record(book, resource: Resource, entity, shown, with_assoc: bool) -> tuple[dict, dict | None]:
    record = {f.name: getattr(entity, f.name) for f in shown}
    if resource.name != "orders" or not with_assoc:
        return record, None
    rows = [
        {name: getattr(detail, name) for name, _link in ORDER_ROW_FIELDS}
        for detail in book.details_of(entity.id)
    ]
    return record, {"order_rows": rows}


def _xml_entity(resource: Resource, shown, record: dict, base: str, assoc) -> str:
    """render_xml.entity, with an order's <associations> before its closing tag."""
    xml = render_xml.entity(resource, shown, record, base)
    if assoc is None:
        return xml
    closing = f"</{resource.singular}>\n"
    return xml[: -len(closing)] + _order_rows_xml(assoc["order_rows"], base) + closing


def _order_rows_xml(rows: list[dict], base: str) -> str:
    if not rows:
        return f"<associations>\n{_ROWS_NODE}/>\n</associations>\n"
    out = [f"<associations>\n{_ROWS_NODE}>\n"]
    for row in rows:
        out.append("\t<order_row>\n")
        for name, link in ORDER_ROW_FIELDS:
            value = text(row[name])
            href = f' xlink:href="{base}{link}/{value}"' if link else ""
            out.append(f"\t<{name}{href}><![CDATA[{value}]]></{name}>\n")
        out.append("\t</order_row>\n")
    out.append("</order_rows>\n</associations>\n")
    return "".join(out)


def _select(book, resource: Resource, query: ListQuery, ignore_filter: bool) -> list:
    entities = list(book.table(resource.name).values())  # MySQL's natural order
    filters = [] if ignore_filter else [_mysql_dates(f) for f in query.filters]
    for flt in filters:
        test, name = flt.matcher(), flt.field.name
        entities = [e for e in entities if _passes(test, getattr(e, name))]
    by_name = {f.name: f for f in resource.fields}
    for name, descending in reversed(query.sort or _index_order(resource, filters)):
        if name not in by_name:
            raise _unknown_column(name, "order")
        key = mysql_number if by_name[name].numeric else mysql_text
        entities.sort(key=lambda e, n=name, k=key: k(_first(getattr(e, n))), reverse=descending)
    if query.limit is None:
        return entities
    first, second = query.limit
    offset, count = (0, first) if second is None else (max(first, 0), second)
    return entities[offset : offset + max(count, 0)]


def _passes(test, value) -> bool:
    """A translated field matches when one of its languages does."""
    return any(test(v) for v in value.values()) if isinstance(value, dict) else test(value)


def _first(value):
    """A translated field sorts by its first language."""
    return next(iter(value.values()), "") if isinstance(value, dict) else value


def _index_order(resource: Resource, filters: list[Filter]) -> list[tuple[str, bool]]:
    """Filtered by name, configurations come in the order of MySQL's `name` index (orders/71)."""
    if resource.name == "configurations" and any(f.field.name == "name" for f in filters):
        return [("name", False)]
    return []


def _mysql_dates(flt: Filter) -> Filter:
    """A DATETIME column compared with '2026-11-30' compares with '2026-11-30 00:00:00'."""
    if flt.field.kind != "date":
        return flt
    values = tuple(_DATE_ONLY.sub(r"\1 00:00:00", v) for v in flt.values)
    return dataclasses.replace(flt, values=values)
