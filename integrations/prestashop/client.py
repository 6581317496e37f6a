"""PrestaShop webservice client for stock: bulk reads, one-row writes, access checks.

HTTP and parsing only: no Django, every setting comes in through the constructor. A temporary
failure retries that one request (RetryPolicy); every failure is one of the types in
errors.py, its `kind` saying what happened.

Formats: lists are read as JSON (`output_format=JSON`) because a JSON list is about half the
bytes of the XML one (no CDATA, tabs or xlink attributes on every id field), and a list is not
hit by the JSON quirk of dropping falsy fields. Writes send XML (the only input format) and
take the XML echo, which keeps every field, so a dropped quantity cannot hide as "0".
Either format is parsed from whatever Content-Type the shop answers with.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import requests

from . import parsing, query, writes
from .access import build_report, major_version, read_resources
from .errors import ShopConfigError, UnexpectedResponse, WriteNotApplied
from .records import AccessReport, CatalogueItem, StockRead, StockRow
from .retry import RetryPolicy
from .transport import Transport

if TYPE_CHECKING:
    from .transport import Limiter

logger = logging.getLogger("integrations.prestashop")

__all__ = ["AccessReport", "CatalogueItem", "PrestaShopClient", "StockRead", "StockRow"]

STOCK = ("stock_availables", "stock_available")
PATCH_REFUSED_CODES = frozenset({23, 25})  # 23: no PATCH in this version; 25: not for this key


class PrestaShopClient:
    """One shop, one requests.Session (keep-alive), Basic auth with a ws_key fallback."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        shop_id: int | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        verify_tls: bool = True,
        limiter: "Limiter | None" = None,
        max_ids_per_request: int = 250,
        session: requests.Session | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
    ):
        """`timeout`: (connect, read) seconds per socket operation; `deadline`: seconds for a
        whole exchange (connect, send, the entire body), default connect + 2 x read;
        `retry`: how temporary failures are retried (default RetryPolicy(), never:
        RetryPolicy.disabled()). A given `session` gets the deadline's adapter mounted for
        the shop's origin."""
        if max_ids_per_request < 1:
            raise ValueError("max_ids_per_request must be at least 1")
        self.shop_id = shop_id
        self.max_ids_per_request = max_ids_per_request
        self._transport = Transport(
            base_url,
            api_key,
            timeout=timeout,
            verify_tls=verify_tls,
            limiter=limiter,
            session=session,
            deadline=deadline,
            retry=retry,
        )
        self._version_probed = False
        self._patch_refused = False

    @property
    def requests_sent(self) -> int:
        """HTTP requests this client has made (failed ones included)."""
        return self._transport.requests_sent

    @requests_sent.setter
    def requests_sent(self, value: int) -> None:
        self._transport.requests_sent = value

    @property
    def uncertain_rows(self) -> set[int]:
        """Stock row ids whose write lost its answer (it may still land late, over a newer
        value): read them again after the shop's execution limit. The caller may clear it."""
        return self._transport.uncertain

    def __enter__(self) -> "PrestaShopClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session (only if the client created it)."""
        self._transport.close()

    def version(self) -> str:
        """The shop's PrestaShop version ("8.1.7"); one GET /api/ only if no reply gave it yet."""
        if self._transport.version is None and not self._version_probed:
            self._version_probed = True
            self._transport.send("GET", "")
        return self._transport.version or ""

    def check_access(self) -> AccessReport:
        """What the key may do, with problems in words; a refused key raises ShopConfigError."""
        reply = self._transport.send("GET", "", params=self._shop_params())
        resources = read_resources(_parse(reply))
        report = build_report(self._transport.version or "", resources)
        if "PATCH" not in resources.get("stock_availables", set()):
            self._patch_refused = True  # no point trying PATCH first on every write
        return report

    def fetch_stock(self, product_ids: Iterable[int]) -> StockRead:
        """Every stock row of the products, in as few paged list reads as the URL allows."""
        ids = sorted(set(_product_ids(product_ids)))
        before = self.requests_sent
        rows: dict[tuple[int, int], StockRow] = {}
        budget = query.id_budget(
            self._transport.path_prefix + STOCK[0],
            shop_id=self.shop_id,
            reserved=self._transport.key_reserve(),
        )
        for chunk in query.split_ids(ids, max_ids=self.max_ids_per_request, budget=budget):
            asked = set(chunk)
            pages = self._pages(STOCK, self._stock_page_params(chunk))
            for item in pages:
                row = parsing.stock_row(item)
                self._check_row(row, asked, rows)
                rows[row.key] = row
        found = {product_id for product_id, _ in rows}
        return StockRead(
            rows=rows,
            missing_products=frozenset(set(ids) - found),
            requests=self.requests_sent - before,
        )

    def fetch_row(self, stock_id: int) -> StockRow:
        """One stock row by id (JSON, zero fields may be dropped); StockRowNotFound if absent."""
        params = [("output_format", "JSON"), *self._shop_params()]
        reply = self._transport.send(
            "GET", f"{STOCK[0]}/{stock_id}", params=params, stock_id=stock_id
        )
        item, lenient = parsing.single_item(_parse(reply), *STOCK)
        row = parsing.stock_row(item, lenient=lenient)
        if row.id != stock_id:
            raise UnexpectedResponse(f"asked for stock row {stock_id}, the shop sent row {row.id}")
        return row

    def write_quantity(self, row: StockRow, quantity: int) -> StockRow:
        """Set one row's quantity (PATCH on 8+, full PUT on 1.7); the echo is verified."""
        writes.check_quantity(row, quantity)
        if self._patch_allowed():
            try:
                return self._write("PATCH", row, quantity, writes.patch_body(row, quantity))
            except ShopConfigError as exc:
                if exc.status != 405 or not PATCH_REFUSED_CODES & set(exc.codes):
                    raise
                self._patch_refused = True
                logger.warning("The shop refused PATCH (%s); using PUT from now on", exc.codes)
        return self._write("PUT", row, quantity, writes.put_body(row, quantity))

    def iter_catalogue(self) -> Iterator[CatalogueItem]:
        """Every product (attribute 0) and combination with its reference and EAN-13."""
        for item in self._pages(
            ("products", "product"), self._catalogue_params(query.PRODUCT_DISPLAY)
        ):
            yield CatalogueItem(
                id_product=parsing.int_field(item, "id"),
                id_product_attribute=0,
                reference=parsing.text_field(item, "reference"),
                ean13=parsing.text_field(item, "ean13"),
            )
        combination_params = self._catalogue_params(query.COMBINATION_DISPLAY)
        for item in self._pages(("combinations", "combination"), combination_params):
            yield CatalogueItem(
                id_product=parsing.int_field(item, "id_product"),
                id_product_attribute=parsing.int_field(item, "id"),
                reference=parsing.text_field(item, "reference"),
                ean13=parsing.text_field(item, "ean13"),
            )

    # -- internals ---------------------------------------------------------------------

    def _shop_params(self) -> list[tuple[str, str]]:
        return [] if self.shop_id is None else [("id_shop", str(self.shop_id))]

    def _stock_page_params(self, chunk: list[int]) -> Callable[[int], query.Params]:
        return lambda offset: query.stock_params(chunk, offset=offset, shop_id=self.shop_id)

    def _catalogue_params(self, display: str) -> Callable[[int], query.Params]:
        return lambda offset: query.list_params(
            display=display, offset=offset, shop_id=self.shop_id
        )

    def _pages(self, names: tuple[str, str], params_for) -> Iterator[dict[str, Any]]:
        """Items of a list read, page by page until a page is short."""
        plural, singular = names
        offset, seen = 0, set()
        while True:
            reply = self._transport.send("GET", plural, params=params_for(offset))
            items = parsing.list_items(_parse(reply), plural, singular)
            if len(items) > query.PAGE_SIZE:
                raise UnexpectedResponse(
                    f"the shop sent {len(items)} {plural} for a page of {query.PAGE_SIZE} "
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
            if len(items) < query.PAGE_SIZE:
                return
            offset += query.PAGE_SIZE

    def _check_row(self, row: StockRow, asked: set[int], rows: dict) -> None:
        if row.id_product not in asked:
            raise UnexpectedResponse(
                "the shop returned stock rows for products that were not asked for "
                f"(product {row.id_product}) — it may be ignoring filters"
            )
        if self.shop_id is not None and not self._in_shop(row):
            raise UnexpectedResponse(
                f"the shop returned stock row {row.id} of shop {row.id_shop} (group "
                f"{row.id_shop_group}) when asked for shop {self.shop_id} "
                "— it may be ignoring id_shop"
            )
        if row.key in rows:
            raise UnexpectedResponse(
                f"the shop has two stock rows ({rows[row.key].id} and {row.id}) for product "
                f"{row.id_product}, combination {row.id_product_attribute}; in a multistore "
                "shop, set the shop id of the integration"
            )

    def _in_shop(self, row: StockRow) -> bool:
        # A group with shared stock keeps one row with id_shop 0 and its group id (§4.6).
        return row.id_shop == self.shop_id or (row.id_shop == 0 and row.id_shop_group > 0)

    def _patch_allowed(self) -> bool:
        if self._patch_refused:
            return False
        return (major_version(self.version()) or 0) >= 8

    def _write(self, method: str, row: StockRow, quantity: int, body: bytes) -> StockRow:
        path = f"{STOCK[0]}/{row.id}"
        what = self._transport.describe(method, path)
        reply = self._transport.send(
            method, path, params=self._shop_params(), body=body, stock_id=row.id
        )
        item, lenient = parsing.single_item(_parse(reply), *STOCK)
        echoed = parsing.stock_row(item, lenient=lenient)
        if echoed.id != row.id:
            raise UnexpectedResponse(f"{what}: the shop answered with stock row {echoed.id}")
        if echoed.quantity != quantity:
            raise WriteNotApplied(
                f"{what}: the shop accepted quantity {quantity} but its reply says "
                f"{echoed.quantity} (accepted but not applied)",
                expected=quantity,
                actual=echoed.quantity,
                stock_id=row.id,
            )
        return echoed


def _parse(reply) -> Any:
    return reply.document  # parsed by the transport, so a broken body is retried there


def _product_ids(values: Iterable[int]) -> Iterator[int]:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"product ids must be positive ints, got {value!r}")
        yield value
