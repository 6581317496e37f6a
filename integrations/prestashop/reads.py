"""List reads: paging until a short page, and the checks every stock row of a read passes."""

from collections.abc import Callable, Iterator
from typing import Any

from . import parsing, query
from .errors import UnexpectedResponse
from .records import StockRow
from .transport import Transport


def pages(
    transport: Transport,
    names: tuple[str, str],
    params_for: Callable[[int], query.Params],
    *,
    page_size: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Items of a list read, page by page until a page is short."""
    plural, singular = names
    size = page_size or query.PAGE_SIZE
    offset, seen = 0, set()
    while True:
        reply = transport.send("GET", plural, params=params_for(offset))
        items = parsing.list_items(reply.document, *names)
        if len(items) > size:
            raise UnexpectedResponse(
                f"the shop sent {len(items)} {plural} for a page of {size} "
                "— it may be ignoring `limit`"
            )
        for item in items:
            item_id = parsing.int_field(item, "id")
            if item_id in seen:
                raise UnexpectedResponse(
                    f"the shop sent {singular} {item_id} twice while paging "
                    "— it may be ignoring `limit` or `sort`"
                )
            seen.add(item_id)
            yield item
        if len(items) < size:
            return
        offset += size


def check_row(
    row: StockRow,
    asked: query.ProductFilter,
    rows: dict[tuple[int, int], StockRow],
    *,
    shop_id: int | None,
) -> None:
    """Refuse a row the filter could not return, of another shop, or a second for one key."""
    if not asked.covers(row.id_product):
        raise UnexpectedResponse(
            "the shop returned stock rows for products that were not asked for "
            f"(product {row.id_product}) — it may be ignoring filters"
        )
    if shop_id is not None and not in_shop(row, shop_id):
        raise UnexpectedResponse(
            f"the shop returned stock row {row.id} of shop {row.id_shop} (group "
            f"{row.id_shop_group}) when asked for shop {shop_id} "
            "— it may be ignoring id_shop"
        )
    if row.key in rows:
        raise UnexpectedResponse(
            f"the shop has two stock rows ({rows[row.key].id} and {row.id}) for product "
            f"{row.id_product}, combination {row.id_product_attribute}; in a multistore "
            "shop, set the shop id of the integration"
        )


def in_shop(row: StockRow, shop_id: int) -> bool:
    """Whether the row belongs to the shop; a group with shared stock keeps one row with
    id_shop 0 and its group id (reference §4.6)."""
    return row.id_shop == shop_id or (row.id_shop == 0 and row.id_shop_group > 0)
