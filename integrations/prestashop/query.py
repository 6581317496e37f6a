"""Query strings for the webservice's list reads: display, filter, sort, limit, shop context.

Stock rows are found by product id, with a range `[low,high]` (SQL BETWEEN, reference §2.3;
measured on 8.1.2: it returns every row of the products in it) where the wanted ids are dense
enough, else with OR-lists `[1|5|9]` split so each request line stays short. A comma must
never separate listed ids: `[1,5]` is a range. Brackets and `|` are percent-encoded, spaces
as %20 (a literal space gets no answer at all: orders/80).
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

STOCK_DISPLAY = (
    "[id,id_product,id_product_attribute,id_shop,id_shop_group,quantity,"
    "depends_on_stock,out_of_stock,location]"
)
PRODUCT_DISPLAY = "[id,reference,ean13]"
COMBINATION_DISPLAY = "[id,id_product,reference,ean13]"

# Proxies and hosts cut long request lines (nginx 8 KB, IIS 2 KB query); stay well under.
MAX_REQUEST_LINE = 3500
PAGE_SIZE = 1000  # products and combinations: each item is loaded as a full object
STOCK_PAGE_SIZE = 2000  # stock rows are small; a chunk's range read fits one page
# A range read may span at most this many product ids per product asked for; the products
# in between cost the shop a row load each but no request.
RANGE_SPREAD = 3.0
_SEPARATOR_COST = len(quote("|"))

Params = list[tuple[str, str]]


@dataclass(frozen=True)
class ProductFilter:
    """One `filter[id_product]` value and the products it was asked for."""

    value: str  # "[3|7|9]" or "[3,500]"
    low: int
    high: int
    wanted: frozenset[int]

    @property
    def is_range(self) -> bool:
        return "," in self.value

    def covers(self, product_id: int) -> bool:
        """Whether the shop may return rows of this product for the filter."""
        if self.is_range:
            return self.low <= product_id <= self.high
        return product_id in self.wanted


def encode(params: Sequence[tuple[str, str]]) -> str:
    """Percent-encode parameters, `[`, `]`, `|` and spaces included; `,` and `/` stay."""
    return urlencode(list(params), quote_via=quote, safe=",/")


def id_list(ids: Iterable[int]) -> str:
    """A webservice OR-list: `[1|2|3]`."""
    return "[" + "|".join(str(i) for i in ids) + "]"


def list_params(
    *,
    display: str,
    filters: Params = (),
    offset: int = 0,
    shop_id: int | None = None,
    page_size: int | None = None,
) -> Params:
    """Parameters of one page of a list read, sorted by id so paging is stable."""
    params = [("display", display), *filters, ("sort", "[id_ASC]")]
    params.append(("limit", f"{offset},{page_size or PAGE_SIZE}"))
    params.append(("output_format", "JSON"))
    if shop_id is not None:
        params.append(("id_shop", str(shop_id)))
    return params


def stock_params(value: str, *, offset: int, shop_id: int | None) -> Params:
    """One page of the stock rows matching `filter[id_product]=value`, with every field a
    1.7 PUT needs."""
    filters = [("filter[id_product]", value)]
    return list_params(
        display=STOCK_DISPLAY,
        filters=filters,
        offset=offset,
        shop_id=shop_id,
        page_size=STOCK_PAGE_SIZE,
    )


def id_budget(line_of: Callable[[Params], str], *, shop_id: int | None, reserved: int) -> int:
    """Characters left for the ids of a stock read; `line_of(params)` is its request line."""
    params = stock_params("[]", offset=10**9, shop_id=shop_id)
    return MAX_REQUEST_LINE - len(line_of(params)) - reserved


def plan_stock_reads(
    ids: Sequence[int], *, max_ids: int, budget: int, spread: float = RANGE_SPREAD
) -> list[ProductFilter]:
    """The fewest filters covering the sorted, distinct `ids`: OR-lists that fit the request
    line, with dense runs of ids read as ranges where that saves requests."""
    lists = _list_filters(ids, max_ids=max_ids, budget=budget)
    if len(lists) <= 1 or spread < 1:
        return lists
    best, ranges, taken = lists, [], set()
    for group in sorted(dense_groups(ids, spread), key=len, reverse=True):
        if len(group) < 2:
            break
        ranges.append(_range_filter(group))
        taken.update(group)
        rest = [i for i in ids if i not in taken]
        candidate = ranges + _list_filters(rest, max_ids=max_ids, budget=budget)
        if len(candidate) < len(best):
            best = list(candidate)
    return sorted(best, key=lambda f: f.low)


def dense_groups(ids: Sequence[int], spread: float) -> list[list[int]]:
    """Runs of sorted ids whose span stays within `spread` times their count."""
    groups: list[list[int]] = []
    for product_id in ids:
        current = groups[-1] if groups else None
        if current and product_id - current[0] + 1 <= spread * (len(current) + 1):
            current.append(product_id)
        else:
            groups.append([product_id])
    return groups


def _range_filter(ids: list[int]) -> ProductFilter:
    return ProductFilter(f"[{ids[0]},{ids[-1]}]", ids[0], ids[-1], frozenset(ids))


def _list_filters(ids: Sequence[int], *, max_ids: int, budget: int) -> list[ProductFilter]:
    return [
        ProductFilter(id_list(chunk), chunk[0], chunk[-1], frozenset(chunk))
        for chunk in split_ids(ids, max_ids=max_ids, budget=budget)
    ]


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
