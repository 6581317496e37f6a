"""PUT and PATCH of stock_availables, as saveEntityFromXml + validateFields + updateWs do them."""

import html
import re

from prestashop_sim import render_json, render_xml
from prestashop_sim.errors import ProxyRefusal, WsError
from prestashop_sim.params import php_int
from prestashop_sim.records import record_of
from prestashop_sim.resources import Field, Resource
from prestashop_sim.stock import save_row
from prestashop_sim.xml_input import parse_entities

_INT32 = (-(2**31), 2**31 - 1)
_UINT32 = (0, 2**32 - 1)
_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")  # PHP is_numeric
_NOT_READ = (90, "id is required when modifying a resource")  # what 16, 17 and 20 answer


def save_from_body(ws, call, resource: Resource, text: str) -> bytes:
    """Apply every entity of the body in order; respond with all of them (JSON: the last).

    Not a transaction: an entity that fails ends the request, earlier ones stay saved (27-29).
    """
    entities = _entities_to_save(ws.config, parse_entities(text, ws.config))
    ids = [php_int(e["id"]) for e in entities if e.get("id", "") != ""]
    if len(set(ids)) != len(ids):
        raise WsError(400, (89, "id is duplicate in request"))
    if len(ids) != len(entities):
        raise WsError(400, _NOT_READ)
    fields = resource.fields_for(modern=ws.config.modern)
    records = []
    for entity in entities:
        records.append(_save_entity(ws, call, fields, entity))
        if call.on_row is not None:
            call.on_row()
    if call.json:
        obj = render_json.entity(fields, records[-1], ints=ws.config.json_ints)
        return render_json.single(resource, obj, strip_falsy=ws.config.modern)
    inner = "".join(render_xml.entity(resource, fields, r, call.base) for r in records)
    return render_xml.document(inner)


def _entities_to_save(config, entities: list[dict]) -> list[dict]:
    """The entities a shop that refuses multi-row writes, or reads only the first, handles."""
    if len(entities) < 2 or config.multi_row == "accept":
        return entities
    if config.multi_row == "first_only":
        return entities[:1]
    if config.multi_row_status == 400:
        raise WsError(400, _NOT_READ)
    raise ProxyRefusal(config.multi_row_status)


def _save_entity(ws, call, fields: tuple[Field, ...], entity: dict[str, str]) -> dict:
    store = ws.store
    with store.lock:
        row = store.rows.get(php_int(entity["id"]))
        if row is None:
            raise WsError(404, (92, "Invalid ID"))
        record = record_of(row, fields)
        for field in fields:
            if field.name in entity:
                record[field.name] = entity[field.name]
            elif call.method == "PATCH":
                continue
            elif field.required:
                raise WsError(400, (41, f'parameter "{field.name}" required'))
            elif field.name != "id":
                record[field.name] = None
        _validate(fields, record, ws.config)
        if _truthy(record["depends_on_stock"]):
            message = "You cannot update the available stock when it depends on stock."
            raise WsError(500, (133, message), (46, "Unable to save resource"))
        values = _stored_values(fields, record)
        if call.not_applied is None:
            save_row(store, row, values, call.context)
        elif call.not_applied == "reverted":
            # A module's actionObjectStockAvailableUpdateBefore hook put the old quantity back
            # into the object, so the echo (the object in memory, reference 4.3) shows it.
            record["quantity"] = row.quantity
    record["id"] = row.id
    return record


def _validate(fields: tuple[Field, ...], record: dict, config) -> None:
    for field in fields:
        if field.name == "id":
            continue
        message = _field_error(field, record[field.name], config)
        if message:
            # ObjectModel::trans() passes its messages through htmlspecialchars (29: "-&gt;").
            raise WsError(400, (85, f'Validation error: "{html.escape(message)}"'))


def _field_error(field: Field, value, config) -> str | None:
    prop = f"StockAvailable->{field.name}"
    if field.required and (value is None or value == ""):
        return f"Property {prop} is empty."
    size = config.quantity_max_size if field.name == "quantity" else field.size
    shown = "" if value is None else str(value)
    if size is not None and len(shown) > size:
        return (
            f"The length of property {prop} is currently {len(shown)} chars. "
            f"It must be between 0 and {size} chars."
        )
    if config.modern and field.kind == "int" and shown != "" and not _NUMERIC.match(shown):
        low, high = _UINT32 if field.validate == "isUnsignedId" else _INT32
        return (
            f"The range of property {prop} is currently {php_int(shown)}. "
            f"It must be between {low} and {high}."
        )
    if field.validate and _truthy(value) and not VALIDATORS[field.validate](shown):
        return f"Property {prop} is not valid"
    return None


def _is_int(text: str) -> bool:
    return re.fullmatch(r"-?(0|[1-9]\d*)", text) is not None and text != "-0"


VALIDATORS = {
    "isUnsignedId": lambda t: _is_int(t) and 0 <= int(t) < 4294967296,
    "isInt": _is_int,
    "isBool": lambda t: t in ("0", "1"),
    "isString": lambda t: True,
}


def _truthy(value) -> bool:
    """PHP truthiness of a scalar."""
    return value not in (None, "", "0", 0, False)


def _stored_values(fields: tuple[Field, ...], record: dict) -> dict:
    """What ObjectModel writes: null ints become 0, null strings ''; ints are cast."""
    values = {}
    for field in fields:
        if field.name == "id":
            continue
        value = record[field.name]
        if field.kind == "str":
            values[field.name] = "" if value is None else str(value)
            continue
        number = php_int(str(value)) if value is not None else 0
        high = _UINT32[1] if field.validate == "isUnsignedId" else _INT32[1]
        if not _INT32[0] <= number <= high:
            raise WsError(500, (46, "Unable to save resource"))
        values[field.name] = number
    return values
