"""JSON output as WebserviceOutputJSON builds it, quirks included (see reference section 3.3)."""

import json

from prestashop_sim.resources import Field, Resource


def dumps(content) -> bytes:
    """json_encode with escaped slashes and unescaped Unicode."""
    return (
        json.dumps(content, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/").encode()
    )


def value_of(field: Field, value, *, ints: bool):
    """A field value as PHP holds it: ids as numbers, DB values as strings unless `ints`."""
    if field.name == "id":
        return int(value)
    if field.kind == "lang":
        return [{"id": lang if ints else str(lang), "value": v} for lang, v in value.items()]
    if value is None or isinstance(value, str):
        return value
    if ints and field.kind == "int":
        return int(value)
    return str(value)  # bool columns stay strings even where ints are numbers (55, 61)


def entity(fields: tuple[Field, ...], record: dict, *, ints: bool, assoc=None) -> dict:
    """One entity as a JSON object."""
    out = {f.name: value_of(f, record[f.name], ints=ints) for f in fields if f.name in record}
    if assoc:
        nested = {}
        for name, items in assoc.items():
            if items:
                nested[name] = [{k: str(v) if not ints else v for k, v in i.items()} for i in items]
        if nested:
            out["associations"] = nested
    return out


def single(resource: Resource, obj: dict, *, strip_falsy: bool) -> bytes:
    """{"stock_available":{...}}; 8.x drops every falsy field (PHP "0", "", null)."""
    if strip_falsy:
        obj = {k: v for k, v in obj.items() if v not in ("0", "", None, 0, False, [], {})}
    return dumps({resource.singular: obj})


def listing(resource: Resource, objects: list[dict]) -> bytes:
    """{"stock_availables":[...]}, or the bare [] PrestaShop sends for an empty list."""
    if not objects:
        return b"[]"
    return dumps({resource.name: objects})


def errors(entries: list[tuple[int, str]]) -> bytes:
    """{"errors":[{"code":N,"message":"..."}]}."""
    return dumps({"errors": [{"code": code, "message": message} for code, message in entries]})


def api_index(permissions: dict[str, set[str]], names: list[str]) -> bytes:
    """GET /api/ in JSON: PrestaShop only lists the resource names."""
    return dumps([name for name in names if name in permissions])
