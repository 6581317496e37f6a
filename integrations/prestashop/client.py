"""PrestaShop webservice client for stock: bulk reads, one- and multi-row writes, access checks.

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import requests

from . import access, batch, orders, parsing, query, reads, writes
from .access import major_version
from .address import API
from .batch import BatchNotSupported
from .errors import PrestaShopError, ShopConfigError, UnexpectedResponse, WriteNotApplied
from .orders import OrderHead, OrderLine, OrderStateInfo
from .records import AccessReport, BatchSupport, BatchWrite, CatalogueItem, StockRead, StockRow
from .retry import RetryPolicy
from .transport import Transport

if TYPE_CHECKING:
    from .transport import Limiter

logger = logging.getLogger("integrations.prestashop")

__all__ = [
    "AccessReport",
    "BatchSupport",
    "BatchWrite",
    "CatalogueItem",
    "PrestaShopClient",
    "StockRead",
    "StockRow",
]

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
        range_spread: float = query.RANGE_SPREAD,
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
        self.max_ids_per_request = max_ids_per_request  # ids in one OR-list filter
        self.range_spread = range_spread  # below 1: never read by id range
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
        """What the key may do, with problems in words; a refused key raises ShopConfigError.

        Reads the XML resource list (the JSON one is an empty 500 on 8.1.2: transcript 10).
        Where /api/ is not found, the same shop is asked at webservice/dispatcher.php: if
        it answers there, the report names that address as a problem to fix (the address
        the operator enters decides the form; nothing switches silently).
        """
        params = self._shop_params()
        try:
            report = access.fetch_report(self._transport, params)
        except ShopConfigError as exc:
            if exc.status != 404 or self._transport.address.form != API:
                raise
            return access.fetch_report_without_rewriting(self._transport, params, exc)
        if "PATCH" not in report.resources.get("stock_availables", set()):
            self._patch_refused = True  # no point trying PATCH first on every write
        return report

    def fetch_stock(self, product_ids: Iterable[int]) -> StockRead:
        """Every stock row of the products, in as few paged list reads as the ids allow.

        Dense ids are read by range (`filter[id_product]=[low,high]`), one read for a chunk
        of 500 links however its ids are spread, as long as the range spans at most
        `range_spread` times as many product ids as are asked for; rows of the products in
        between are dropped. Sparse ids are read by OR-lists that keep the URL short.
        """
        ids = sorted(set(_product_ids(product_ids)))
        before = self.requests_sent
        rows: dict[tuple[int, int], StockRow] = {}
        budget = query.id_budget(
            self._request_line, shop_id=self.shop_id, reserved=self._transport.key_reserve()
        )
        plan = query.plan_stock_reads(
            ids, max_ids=self.max_ids_per_request, budget=budget, spread=self.range_spread
        )
        for product_filter in plan:
            params_for = self._stock_page_params(product_filter.value)
            items = reads.pages(self._transport, STOCK, params_for, page_size=query.STOCK_PAGE_SIZE)
            for item in items:
                row = parsing.stock_row(item)
                reads.check_row(row, product_filter, rows, shop_id=self.shop_id)
                if row.id_product in product_filter.wanted:
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
                return self._write("PATCH", row, quantity, writes.patch_body([(row, quantity)]))
            except ShopConfigError as exc:
                if not self._refuses_patch(exc):
                    raise
        return self._write("PUT", row, quantity, writes.put_body([(row, quantity)]))

    def write_quantities(self, changes: Iterable[tuple[StockRow, int]]) -> BatchWrite:
        """Set many rows' quantities in one request, the rows directly under <prestashop>.

        PATCH of id + quantity per row on 8+, PUT of each row in full as read on 1.7 or when
        PATCH is refused (405/23, 405/25), both to /stock_availables (transcripts 25, 26).
        Every row sent must be listed in the answer; rows listed with another quantity are
        `not_applied`, rows the shop is known to reject are `refused` and not sent.
        Raises BatchNotSupported (write them one by one), BatchRowRefused (one row refused:
        the rows before it were written, those after it were not; re-read to know), or the
        error any single write would get (key, permission, outage, rate limit). Temporary
        failures are retried as for one row (RetryPolicy); a lost answer puts every row sent
        in `uncertain_rows`.
        """
        sendable, refused = batch.preflight(list(changes))
        before = self.requests_sent
        if not sendable:
            return BatchWrite("", {}, {}, refused, 0)
        method = "PATCH" if self._patch_allowed() else "PUT"
        try:
            rows = self._write_batch(method, sendable)
        except ShopConfigError as exc:
            if method != "PATCH" or not self._refuses_patch(exc):
                raise
            method = "PUT"
            rows = self._write_batch(method, sendable)
        what = self._transport.describe(method, STOCK[0])
        written, not_applied = batch.compare(rows, sendable, what=what)
        return BatchWrite(method, written, not_applied, refused, self.requests_sent - before)

    def probe_batch_writes(self, rows: Sequence[StockRow] = ()) -> BatchSupport:
        """Whether the shop takes multi-row writes: two rows written back with the quantity
        they hold, which changes nothing (2 requests, 3 with no rows given).

        `rows`: two rows just read (the first two writable ones are used); by default the
        first two product-level rows of the shop are read for it. An order taken between
        that read and the write-back would see its change of those rows undone, so the
        window is kept to one request. A refusal comes back as `supported=False` with the
        reason; errors that say nothing about multi-row writes (key, outage, a row gone
        meanwhile: BatchRowRefused) are raised.
        """
        before = self.requests_sent
        chosen = [row for row in rows if not row.depends_on_stock][:2]
        if not rows:
            chosen = self._probe_rows()
        if len(chosen) < 2:
            reason = "the shop has fewer than two writable stock rows to probe with"
            return BatchSupport(False, "", reason, requests=self.requests_sent - before)
        try:
            result = self.write_quantities([(row, row.quantity) for row in chosen])
        except BatchNotSupported as exc:
            used = self.requests_sent - before
            return BatchSupport(False, exc.method, exc.message, exc, requests=used)
        return BatchSupport(True, result.method, requests=self.requests_sent - before)

    def iter_catalogue(self) -> Iterator[CatalogueItem]:
        """Every product (attribute 0) and combination with its reference and EAN-13."""
        product_params = self._catalogue_params(query.PRODUCT_DISPLAY)
        for item in reads.pages(self._transport, ("products", "product"), product_params):
            yield CatalogueItem(
                id_product=parsing.int_field(item, "id"),
                id_product_attribute=0,
                reference=parsing.text_field(item, "reference"),
                ean13=parsing.text_field(item, "ean13"),
            )
        combination_params = self._catalogue_params(query.COMBINATION_DISPLAY)
        names = ("combinations", "combination")
        for item in reads.pages(self._transport, names, combination_params):
            yield CatalogueItem(
                id_product=parsing.int_field(item, "id_product"),
                id_product_attribute=parsing.int_field(item, "id"),
                reference=parsing.text_field(item, "reference"),
                ean13=parsing.text_field(item, "ean13"),
            )

    # -- orders (read for the reservations) ----------------------------------------------

    def fetch_changed_orders(self, since: str | None) -> list[OrderHead]:
        """Orders whose date_upd is after `since` (the shop's local time, strict; None: all)."""
        return list(orders.changed_orders(self._transport, since, shop_id=self.shop_id))

    def fetch_newest_order(self) -> OrderHead | None:
        """The order changed last, or None (one request)."""
        return orders.newest_order(self._transport, shop_id=self.shop_id)

    def fetch_highest_order_id(self) -> int:
        """The greatest order id, 0 when the shop has no order (one request)."""
        return orders.highest_order_id(self._transport, shop_id=self.shop_id)

    def fetch_orders_in_states(self, state_ids: Iterable[int], *, up_to_id: int) -> list[OrderHead]:
        """Orders now in one of these states, with ids up to `up_to_id`."""
        return list(
            orders.orders_in_states(
                self._transport, state_ids, up_to_id=up_to_id, shop_id=self.shop_id
            )
        )

    def fetch_order_lines(self, order_ids: Iterable[int]) -> dict[int, list[OrderLine]]:
        """{order id: its lines} from order_details, in as few reads as the URL allows."""
        probe = query.list_params(
            display=orders.DETAIL_DISPLAY,
            filters=[("filter[id_order]", "[]")],
            offset=10**9,
            page_size=orders.ORDER_PAGE_SIZE,
        )
        line = f"GET {self._transport.address.target(orders.DETAILS[0], probe)} HTTP/1.1"
        budget = query.MAX_REQUEST_LINE - len(line) - self._transport.key_reserve()
        return orders.order_lines(self._transport, order_ids, budget=budget)

    def fetch_order_states(self) -> list[OrderStateInfo]:
        """Every order state with its flags (one request)."""
        return orders.order_states(self._transport)

    def fetch_configuration(self, names: Iterable[str]) -> dict[str, str]:
        """{name: value} of configuration keys, e.g. PS_OS_CANCELED (one request)."""
        return orders.configuration_values(self._transport, names)

    # -- internals ---------------------------------------------------------------------

    def _shop_params(self) -> list[tuple[str, str]]:
        return [] if self.shop_id is None else [("id_shop", str(self.shop_id))]

    def _request_line(self, params: query.Params) -> str:
        return f"GET {self._transport.address.target(STOCK[0], params)} HTTP/1.1"

    def _stock_page_params(self, value: str) -> Callable[[int], query.Params]:
        return lambda offset: query.stock_params(value, offset=offset, shop_id=self.shop_id)

    def _catalogue_params(self, display: str) -> Callable[[int], query.Params]:
        return lambda offset: query.list_params(
            display=display, offset=offset, shop_id=self.shop_id
        )

    def _probe_rows(self) -> list[StockRow]:
        """The first two writable product-level rows (no combination recount on a write)."""
        params = query.list_params(
            display=query.STOCK_DISPLAY,
            filters=[("filter[id_product_attribute]", "[0]")],
            shop_id=self.shop_id,
            page_size=5,
        )
        reply = self._transport.send("GET", STOCK[0], params=params)
        rows = [parsing.stock_row(item) for item in parsing.list_items(_parse(reply), *STOCK)]
        return [row for row in rows if not row.depends_on_stock][:2]

    def _patch_allowed(self) -> bool:
        if self._patch_refused:
            return False
        return (major_version(self.version()) or 0) >= 8

    def _refuses_patch(self, error: ShopConfigError) -> bool:
        """True (and PUT from now on) if `error` is the shop refusing PATCH (405/23, 405/25)."""
        if error.status != 405 or not PATCH_REFUSED_CODES & set(error.codes):
            return False
        self._patch_refused = True
        logger.warning("The shop refused PATCH (%s); using PUT from now on", error.codes)
        return True

    def _write_batch(self, method: str, changes: list[writes.Change]) -> list[StockRow]:
        path = STOCK[0]
        what = self._transport.describe(method, path)
        body = writes.patch_body(changes) if method == "PATCH" else writes.put_body(changes)
        ids = [row.id for row, _ in changes]
        try:
            reply = self._transport.send(
                method, path, params=self._shop_params(), body=body, rows=ids
            )
        except PrestaShopError as exc:
            error = batch.failure_of(exc, what=what, stock_ids=ids, method=method)
            if error is exc:
                raise
            raise error from exc
        return batch.listed_rows(_parse(reply), what=what, stock_ids=ids, method=method)

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
