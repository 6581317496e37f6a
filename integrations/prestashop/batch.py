"""Multi-row stock writes: what the shop's answer means, and the errors the engine acts on.

Confirmed on a real 8.1.2 (transcripts 25-30): several `<stock_available>` entities directly
under `<prestashop>` in one PUT or PATCH are all applied and the XML answer lists each.
What the webservice does not offer (reference §6.1):
- no transaction: the entities are loaded, validated and saved one by one, so a missing id
  (404/92) or an invalid value (400/85) stops the request there; the rows before it stay
  written, the rows after it are not, and the answer is only the error, naming no row;
- some shops do not take it at all: a wrapper element (400/90), an older or patched
  webservice, or a proxy refusing the body.
Hence two error types: BatchNotSupported (write these rows one by one instead) and
BatchRowRefused (one row was refused as a single write would be; which one, and so which rows
were written, only a re-read tells).
"""

import re
from collections.abc import Sequence
from typing import Any

from lxml import etree

from . import parsing, writes
from .errors import (
    Failure,
    PrestaShopError,
    ShopPermanentError,
    StockRowNotFound,
    WriteNotApplied,
)
from .records import StockRow

STOCK = ("stock_availables", "stock_available")
# Codes only a multi-row body gets: 89 duplicate id, 90 an entity without id (the wrapped
# form), 127 XML refused (our XML is well formed: a proxy cut or rewrote the body).
BATCH_ONLY_CODES = frozenset({89, 90, 127})
ROW_NOT_FOUND_CODES = frozenset({92, 131})
# Statuses that mean the same for one row as for many: key, URL, method, timeout, rate.
_SAME_FOR_ONE_ROW = frozenset({401, 404, 405, 408, 429})
_DETAIL = re.compile(r"\((HTTP \d+, .*)\)\s*$", re.DOTALL)


class BatchWriteError(PrestaShopError):
    """A multi-row write failed as a whole; the answer does not say which rows were written.
    `attempts` is the failed request's (retries included), taken from `cause`."""

    def __init__(
        self,
        message: str,
        *,
        stock_ids: Sequence[int] = (),
        method: str = "",
        status: int | None = None,
        codes: list[int] | None = None,
        cause: PrestaShopError | None = None,
    ):
        super().__init__(message, status=status, codes=codes)
        self.stock_ids = tuple(stock_ids)  # the rows sent, in the body's order
        self.method = method
        self.cause = cause
        if cause is not None:
            self.attempts = cause.attempts


class BatchNotSupported(BatchWriteError):
    """The shop does not take several rows in one request: an error one row would not get
    (400/89/90, 500/127, a proxy refusing the body) or a 200 that does not list every row.
    Write these rows one by one; `listed` holds the rows a 200 answer did list."""

    kind = Failure.BATCH_NOT_SUPPORTED

    def __init__(self, message: str, *, listed: Sequence[int] = (), **kwargs):
        super().__init__(message, **kwargs)
        self.listed = tuple(listed)


class BatchRowRefused(BatchWriteError):
    """One row was refused as a single write would be (404/92 missing row: `missing`; 400/85
    invalid value, 500/133 ...: `cause` is that single-write error). The rows before it were
    written and the rows after it were not; the answer does not say which row it was."""

    kind = Failure.BATCH_ROW_REFUSED

    def __init__(self, message: str, *, missing: bool = False, **kwargs):
        super().__init__(message, **kwargs)
        self.missing = missing


def preflight(changes: Sequence[writes.Change]) -> tuple[list, dict[int, ShopPermanentError]]:
    """(the changes to send, rows refused before sending as a single write would refuse them)."""
    ids = [row.id for row, _ in changes]
    if len(set(ids)) != len(ids):
        raise ValueError("a multi-row write must name each stock row once")
    sendable, refused = [], {}
    for row, quantity in changes:
        try:
            writes.check_quantity(row, quantity)
        except ShopPermanentError as exc:
            refused[row.id] = exc
        else:
            sendable.append((row, quantity))
    return sendable, refused


def failure_of(
    error: PrestaShopError, *, what: str, stock_ids: Sequence[int], method: str
) -> PrestaShopError:
    """The error a failed multi-row request raises: a batch type, or `error` itself when one
    row would have got the same (key, URL, method, outage, rate limit)."""
    codes, status = set(error.codes), error.status
    common = {"stock_ids": stock_ids, "method": method, "status": status, "codes": error.codes}
    detail = _detail(error)
    rows = f"{len(stock_ids)} rows" if len(stock_ids) != 1 else "1 row"
    which = f"one of the {rows}" if len(stock_ids) != 1 else "the row"
    if codes & BATCH_ONLY_CODES or status == 413 or _refused_in_front(error):
        message = f"{what}: the shop does not take {rows} in one request ({detail})"
        return BatchNotSupported(message, **common, cause=error)
    if status == 404 and codes & ROW_NOT_FOUND_CODES:
        message = f"{what}: {which} sent does not exist in this shop ({detail})"
        cause = StockRowNotFound(message, status=status, codes=error.codes)
        cause.attempts = error.attempts
        return BatchRowRefused(_partly(message), **common, missing=True, cause=cause)
    if isinstance(error, ShopPermanentError):
        message = f"{what}: the shop refused {which} sent ({detail})"
        return BatchRowRefused(_partly(message), **common, cause=error)
    return error


def listed_rows(document: Any, *, what: str, stock_ids: Sequence[int], method: str):
    """The rows a 200 answer lists; BatchNotSupported unless it lists exactly the rows sent."""
    rows = [parsing.stock_row(item, lenient=lenient) for item, lenient in _entities(document)]
    listed = [row.id for row in rows]
    if sorted(listed) != sorted(stock_ids):
        shown = ", ".join(map(str, listed[:10])) or "none"
        raise BatchNotSupported(
            f"{what}: the shop answered 200 but lists {len(listed)} of the {len(stock_ids)} "
            f"rows sent (rows listed: {shown}); it may apply only some of them",
            stock_ids=stock_ids,
            method=method,
            status=200,
            listed=listed,
        )
    return rows


def compare(rows: Sequence[StockRow], changes: Sequence[writes.Change], *, what: str):
    """(rows echoed with the quantity sent, WriteNotApplied for rows echoed with another)."""
    wanted = {row.id: quantity for row, quantity in changes}
    written, not_applied = {}, {}
    for echoed in rows:
        expected = wanted[echoed.id]
        if echoed.quantity == expected:
            written[echoed.id] = echoed
            continue
        not_applied[echoed.id] = WriteNotApplied(
            f"{what}: the shop accepted quantity {expected} for stock row {echoed.id} but its "
            f"reply says {echoed.quantity} (accepted but not applied)",
            expected=expected,
            actual=echoed.quantity,
            stock_id=echoed.id,
        )
    return written, not_applied


def _entities(document: Any) -> list[tuple[dict[str, Any], bool]]:
    """Each stock_available of a write's answer, and whether falsy fields may be missing."""
    plural, singular = STOCK
    if isinstance(document, etree._Element):
        # XML lists every saved entity directly under <prestashop> (transcripts 25, 26, 30).
        return [(parsing._xml_item(e), False) for e in document if e.tag == singular]
    if isinstance(document, dict) and isinstance(document.get(singular), dict):
        return [(document[singular], True)]  # JSON keeps only the last entity (§6.1)
    return [(item, False) for item in parsing.list_items(document, plural, singular)]


def _refused_in_front(error: PrestaShopError) -> bool:
    # A 4xx with no webservice error body: the web server or a firewall refused the request
    # (body size, request shape). One row may well pass; the engine falls back and sees.
    status = error.status or 0
    return not error.codes and 400 <= status < 500 and status not in _SAME_FOR_ONE_ROW


def _detail(error: PrestaShopError) -> str:
    """The "HTTP 404, code 92: Invalid ID" part of a transport error's message."""
    match = _DETAIL.search(error.message)
    return match.group(1) if match else error.message


def _partly(message: str) -> str:
    return f"{message}; the rows before it were written, the rows after it were not"
