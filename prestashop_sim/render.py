"""The answer to a read, in the format the call asks for: shared by the stock and order sides.

`xml_entity` renders one entity's XML as render_xml.entity does; the order side passes its own,
which adds an order's rows.
"""

from prestashop_sim import render_json, render_xml
from prestashop_sim.resources import Resource


def shown_fields(fields, display) -> tuple[tuple, bool]:
    """The fields a display= shows, and whether associations come along."""
    if display in ("full", "minimum"):
        return fields, True
    shown = tuple(f for f in fields if display.get(f.name, 0) is None)
    with_assoc = any(sub is not None for sub in display.values())
    return shown, with_assoc


def schema(call, resource: Resource, fields, kind: str) -> bytes:
    """schema=blank or schema=synopsis."""
    if call.json:
        return render_json.dumps({resource.singular: {f.name: "" for f in fields}})
    return render_xml.schema(resource, fields, kind)


def ids(call, resource: Resource, listed: list[int]) -> bytes:
    """A list with display=minimum (the default)."""
    if call.json:
        return render_json.listing(resource, [{"id": i} for i in listed])
    return render_xml.minimal_list(resource, listed, call.base)


def rows(ws, call, resource: Resource, shown, listed, *, xml_entity=render_xml.entity) -> bytes:
    """A list of (record, associations) pairs with display=full or [fields]."""
    if call.json:
        ints = ws.config.json_ints
        objs = [render_json.entity(shown, rec, ints=ints, assoc=assoc) for rec, assoc in listed]
        return render_json.listing(resource, objs)
    items = [xml_entity(resource, shown, rec, call.base, assoc) for rec, assoc in listed]
    return render_xml.full_list(resource, items)


def single(
    ws, call, resource: Resource, shown, record: dict, assoc, *, xml_entity=render_xml.entity
) -> bytes:
    """One entity; with display= JSON lists it as a list does."""
    if call.json:
        obj = render_json.entity(shown, record, ints=ws.config.json_ints, assoc=assoc)
        if "display" in call.params:
            return render_json.listing(resource, [obj])
        return render_json.single(resource, obj, strip_falsy=ws.config.modern)
    return render_xml.document(xml_entity(resource, shown, record, call.base, assoc))
