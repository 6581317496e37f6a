"""What a save of a stock row does in a real shop (StockAvailable::update/postSave/setQuantity)."""

from dataclasses import dataclass

from prestashop_sim.store import StockRow, Store


@dataclass(frozen=True)
class ShopContext:
    """The shop context of a request (id_shop / id_shop_group / all / the host's shop)."""

    shop_ids: frozenset[int]
    shop: int  # Context::getContext()->shop->id
    group: int | None = None  # set when the context is a shop group


def save_row(store: Store, row: StockRow, values: dict, context: ShopContext) -> None:
    """Save a row like ObjectModel::update, then postSave's recompute of the product row."""
    with store.lock:
        store.update_row(row, values)
        store.row_saves += 1
        if row.id_product_attribute != 0:
            _recompute_product_row(store, row, context)


def _scope(store: Store, row: StockRow, context: ShopContext) -> tuple[int, int]:
    """(id_shop, id_shop_group) of the rows postSave sums (addSqlShopRestriction)."""
    if context.group is not None:
        group = store.layout.groups.get(context.group)
        if group is not None and group.share_stock:
            return (0, group.id)
        return (context.shop, 0)
    return store.layout.scope_of_shop(row.id_shop or context.shop)


def _recompute_product_row(store: Store, row: StockRow, context: ShopContext) -> None:
    scope = _scope(store, row, context)
    rows = list(store.rows_by_product.get(row.id_product, {}).values())
    total = sum(
        r.quantity
        for r in rows
        if r.id_product_attribute != 0 and (r.id_shop, r.id_shop_group) == scope
    )
    product_rows = sorted(
        (r for r in rows if r.id_product_attribute == 0 and (r.id_shop, r.id_shop_group) == scope),
        key=lambda r: r.id,
    )
    if product_rows:
        target = product_rows[0]
        if target.depends_on_stock:
            return  # advanced stock management path: no webservice-visible effect
        store.update_row(target, {"quantity": total})
    else:
        # setQuantity creates the missing product row in the scope (issue #35363 territory).
        target = StockRow(store.next_row_id(), row.id_product, 0, scope[0], scope[1], total)
        store.add_row(target)
    store.row_saves += 1
    store.hook_events.append(
        {
            "hook": "actionUpdateQuantity",
            "id_product": row.id_product,
            "id_product_attribute": 0,
            "quantity": total,
        }
    )
