"""Query strings for the webservice's list reads: display, filter, sort, limit, shop context.

Lists use `|` between values: `[1,5]` is a BETWEEN range in the webservice (reference §2.3),
so a comma must never separate ids. Brackets and `|` are percent-encoded.
"""

from collections.abc import Iterable, Iterator, Sequence
from urllib.parse import quote, urlencode

STOCK_DISPLAY = (
    "[id,id_product,id_product_attribute,id_shop,id_shop_group,quantity,"
    "depends_on_stock,out_of_stock,location]"
)
PRODUCT_DISPLAY = "[id,reference,ean13]"
COMBINATION_DISPLAY = "[id,id_product,reference,ean13]"

# Proxies and hosts cut long request lines (nginx 8 KB, IIS 2 KB query); stay well under.
MAX_REQUEST_LINE = 3500
PAGE_SIZE = 1000
_SEPARATOR_COST = len(quote("|"))
_WIDEST_LIMIT = f"{10**9},{PAGE_SIZE}"

Params = list[tuple[str, str]]


def encode(params: Sequence[tuple[str, str]]) -> str:
    """Percent-encode parameters, `[`, `]` and `|` included (`,` may stay as it is)."""
    return urlencode(list(params), quote_via=quote, safe=",")


def id_list(ids: Iterable[int]) -> str:
    """A webservice OR-list: `[1|2|3]`."""
    return "[" + "|".join(str(i) for i in ids) + "]"


def list_params(
    *, display: str, filters: Params = (), offset: int = 0, shop_id: int | None = None
) -> Params:
    """Parameters of one page of a list read, sorted by id so paging is stable."""
    params = [("display", display), *filters, ("sort", "[id_ASC]")]
    params.append(("limit", f"{offset},{PAGE_SIZE}"))
    params.append(("output_format", "JSON"))
    if shop_id is not None:
        params.append(("id_shop", str(shop_id)))
    return params


def stock_params(product_ids: Sequence[int], *, offset: int, shop_id: int | None) -> Params:
    """One page of the stock rows of `product_ids`, with every field a 1.7 PUT needs."""
    filters = [("filter[id_product]", id_list(product_ids))]
    return list_params(display=STOCK_DISPLAY, filters=filters, offset=offset, shop_id=shop_id)


def id_budget(path: str, *, shop_id: int | None, reserved: int) -> int:
    """Characters left for the ids of a stock read, given the URL path and a reserve."""
    params = stock_params([], offset=0, shop_id=shop_id)
    params = [(k, _WIDEST_LIMIT if k == "limit" else v) for k, v in params]
    line = f"GET {path}?{encode(params)} HTTP/1.1"
    return MAX_REQUEST_LINE - len(line) - reserved


def split_ids(ids: Sequence[int], *, max_ids: int, budget: int) -> Iterator[list[int]]:
    """Chunks of at most `max_ids` ids whose encoded OR-list fits in `budget` characters."""
    chunk: list[int] = []
    used = 0
    for product_id in ids:
        cost = len(str(product_id)) + (_SEPARATOR_COST if chunk else 0)
        if chunk and (len(chunk) >= max_ids or used + cost > budget):
            yield chunk
            chunk, used = [], 0
            cost = len(str(product_id))
        chunk.append(product_id)
        used += cost
    if chunk:
        yield chunk
