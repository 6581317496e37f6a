"""GET of the resource index, of lists and of single resources."""

from prestashop_sim import render, render_json, render_xml
from prestashop_sim.errors import WsError
from prestashop_sim.filters import mysql_number, mysql_text
from prestashop_sim.params import ListQuery, parse_display, parse_list, php_int
from prestashop_sim.records import associations_of, record_of
from prestashop_sim.resources import DESCRIPTIONS, Resource


def api_index(ws, call) -> bytes:
    """GET /api/: the resources the key may use."""
    permissions = call.account.permissions
    if call.json:
        return render_json.api_index(permissions, list(DESCRIPTIONS))
    modern = ws.config.modern
    return render_xml.api_index(permissions, call.base, ws.config.shop_name, modern)


def get_list(ws, call, resource: Resource) -> bytes:
    """GET /api/RESOURCE with filter/display/sort/limit."""
    fields = resource.fields_for(modern=ws.config.modern)
    query = _parse_list(ws.config, resource, {f.name: f for f in fields}, call.params)
    if query.schema:
        return render.schema(call, resource, fields, query.schema)
    store = ws.store
    with store.lock:
        entities = _select(store, resource, query, call)
        if query.display == "minimum":
            ids = [e.id for e in entities]
        else:
            shown, with_assoc = render.shown_fields(fields, query.display)
            rows = [
                (
                    record_of(e, shown, store.languages),
                    associations_of(resource, e, store, call.context.shop_ids)
                    if with_assoc
                    else None,
                )
                for e in entities
            ]
    if query.display == "minimum":
        return render.ids(call, resource, ids)
    return render.rows(ws, call, resource, shown, rows)


def get_single(ws, call, resource: Resource, raw_id: str) -> bytes | None:
    """GET /api/RESOURCE/ID; None means 404 with an empty body."""
    fields = resource.fields_for(modern=ws.config.modern)
    display = parse_display(resource, {f.name: f for f in fields}, call.params)
    store = ws.store
    with store.lock:
        entity = store.table(resource.name).get(php_int(raw_id))
        if entity is None:
            return None
        if resource.name == "stock_availables" and not store.row_visible(
            entity, call.context.shop_ids
        ):
            message = f"This StockAvailable ({entity.id}) does not exists on this shop"
            raise WsError(404, (131, message))
        shown, with_assoc = render.shown_fields(fields, display or "full")
        record = record_of(entity, shown, store.languages)
        assoc = (
            associations_of(resource, entity, store, call.context.shop_ids) if with_assoc else None
        )
    return render.single(ws, call, resource, shown, record, assoc)


def _parse_list(config, resource: Resource, fields: dict, params: dict) -> ListQuery:
    """parse_list; on 8.x a bad filter/display/sort/limit also leaks four PHP warnings (59).

    The list code goes on with `false` as its filter structure and reads four offsets of it.
    """
    try:
        return parse_list(resource, fields, params)
    except WsError as error:
        if not config.modern or error.errors[0][0] not in _LIST_PARAMETER_CODES:
            raise
        warnings = [
            config.php_warning(_OFFSET_ON_BOOL, "classes/webservice/WebserviceRequest.php", line)
            for line in range(1333, 1337)
        ]
        raise WsError(500, *error.errors, *warnings) from error


_LIST_PARAMETER_CODES = frozenset(range(30, 40))
_OFFSET_ON_BOOL = "Trying to access array offset on value of type bool"


def _select(store, resource: Resource, query: ListQuery, call) -> list:
    filters = [] if call.ignore_filter else query.filters
    candidates = None
    for index, flt in enumerate(filters):
        values = flt.int_values()
        if values is not None:
            candidates = store.index_lookup(resource.name, flt.field.name, values)
            if candidates is not None:
                filters = filters[:index] + filters[index + 1 :]
                break
    if candidates is None:
        candidates = sorted(store.table(resource.name).values(), key=lambda e: e.id)
    if resource.name == "stock_availables":
        shop_ids = call.context.shop_ids
        candidates = [e for e in candidates if store.row_visible(e, shop_ids)]
    for flt in filters:
        test, name = flt.matcher(), flt.field.name
        candidates = [e for e in candidates if test(getattr(e, name, ""))]
    for name, descending in reversed(query.sort):
        numeric = resource.field_map(modern=True).get(name)
        key = mysql_number if numeric is not None and numeric.numeric else mysql_text
        candidates.sort(key=lambda e, n=name, k=key: k(getattr(e, n, "")), reverse=descending)
    if query.limit is not None:
        first, second = query.limit
        offset, count = (0, first) if second is None else (first, second)
        candidates = candidates[max(offset, 0) : max(offset, 0) + max(count, 0)]
    return candidates
