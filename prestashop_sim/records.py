"""Entities as records: field name -> value, the input of both renderers."""

from prestashop_sim.resources import Field, Resource
from prestashop_sim.store import Store


def record_of(entity, fields: tuple[Field, ...], languages: tuple[int, ...] = (1,)) -> dict:
    """Field values of an entity; language fields become {language_id: text}."""
    record = {}
    for field in fields:
        value = getattr(entity, field.name, "" if field.kind != "int" else 0)
        if field.kind == "lang":
            value = dict.fromkeys(languages, value)
        elif field.kind in ("int", "bool") and isinstance(value, bool):
            value = int(value)
        record[field.name] = value
    return record


def associations_of(resource: Resource, entity, store: Store, shop_ids: frozenset[int]) -> dict:
    """A product's combinations and stock rows (context shops); a combination's values, images."""
    if resource.name == "combinations":
        return {
            "product_option_values": [{"id": i} for i in entity.option_values],
            "images": [{"id": i} for i in entity.images],
        }
    if resource.name != "products":
        return {}
    combinations = [{"id": cid} for cid in sorted(store.combinations_by_product.get(entity.id, []))]
    rows = sorted(store.rows_by_product.get(entity.id, {}).values(), key=lambda r: r.id)
    stock = [
        {"id": r.id, "id_product_attribute": r.id_product_attribute}
        for r in rows
        if store.row_visible(r, shop_ids)
    ]
    return {"combinations": combinations, "stock_availables": stock}


def text(value) -> str:
    """A value as PHP prints it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)
