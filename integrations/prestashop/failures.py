"""Turning a reply that is not a success into the typed error the caller acts on.

Policy (documented for the engine):
- 401, 403, 405, 3xx, 503/22, 414, and parameter errors (400 codes 27-39: the shop does not
  know a field or filter the client sends, so client and shop disagree) -> ShopConfigError.
  The first error code decides, since a PHP warning may turn a 400 into a 500 (§2.3).
- 404 on a row (empty body, or code 92/131) -> StockRowNotFound; any other 404 means the URL
  does not reach the webservice -> ShopConfigError.
- Other 400s (validation 85, missing field 41, ...) and 500/133 (depends_on_stock) or 500/127
  (our XML refused) -> ShopPermanentError.
- Any other 5xx or 408 -> ShopTemporaryError, with the shop's codes or the HTML page's title.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

from .errors import (
    PrestaShopError,
    ShopConfigError,
    ShopPermanentError,
    ShopTemporaryError,
    StockRowNotFound,
)
from .parsing import shop_errors, snippet

PARAMETER_CODES = frozenset(range(27, 40))
ROW_NOT_FOUND_CODES = frozenset({92, 131})
PERMANENT_5XX_CODES = frozenset({127, 133})

_KEY_REASONS = {
    17: "the API key is empty",
    18: "the API key has the wrong format (PrestaShop keys are 32 characters)",
    20: "the API key is unknown or disabled in the shop",
    21: "the API key has no permissions",
    26: "the API key may not use this resource",
}
_METHOD_REASONS = {
    23: "this PrestaShop version does not support the method",
    25: "the API key may not use this method on this resource",
    101: "the webservice does not allow this method on this resource",
}


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: Any  # a case-insensitive mapping (requests' CaseInsensitiveDict)


def describe(errors: list[tuple[int, str]] | None, reply: Reply) -> str:
    """The shop's error codes and messages, or a short piece of a foreign body."""
    if errors:
        return "; ".join(f"code {code}: {message[:200]}" for code, message in errors)
    if not reply.body.strip():
        return "empty body"
    return repr(snippet(reply.body))


def error_for(
    reply: Reply, *, what: str, stock_id: int | None, mask: Callable[[str], str]
) -> PrestaShopError:
    """The exception for a reply whose status is not 2xx (429 is handled by the transport)."""
    errors = shop_errors(reply.body, reply.content_type)
    codes = [code for code, _ in errors or []]
    detail = mask(describe(errors, reply))
    status = reply.status
    if stock_id is not None and _row_not_found(reply, codes):
        message = f"{what}: stock row {stock_id} does not exist in this shop ({detail})"
        return StockRowNotFound(message, stock_id=stock_id, status=status, codes=codes)
    kind, reason = _classify(status, codes, errors is not None)
    if status in (301, 302, 303, 307, 308):
        location = mask(reply.headers.get("Location", "")).split("?", 1)[0]
        reason = f"{reason} to {location!r}; use that address as the shop URL"
    return kind(f"{what}: {reason} (HTTP {status}, {detail})", status=status, codes=codes)


def _row_not_found(reply: Reply, codes: list[int]) -> bool:
    # GET of an unknown id: 404 with an empty body; a write: 404/92; another shop's row: 131.
    if reply.status != 404:
        return False
    return not reply.body.strip() or bool(ROW_NOT_FOUND_CODES & set(codes))


def _classify(status: int, codes: list[int], from_shop: bool) -> tuple[type, str]:
    first = codes[0] if codes else None
    if status == 401:
        return ShopConfigError, _unauthorized_reason(codes, from_shop)
    if status == 403:
        if 132 in codes:
            return ShopConfigError, "the API key is not allowed on this shop (multistore)"
        return ShopConfigError, "the shop or a firewall in front of it refused access"
    if status == 405:
        return ShopConfigError, _METHOD_REASONS.get(first, "method not allowed")
    if 300 <= status < 400:
        return ShopConfigError, "the shop redirects its webservice"
    if first in PARAMETER_CODES:
        return ShopConfigError, "the shop rejected the request's parameters (unknown field?)"
    if status == 404:
        return ShopConfigError, "no webservice at this address (check the shop URL)"
    if status == 503 and 22 in codes:
        return ShopConfigError, "the webservice is disabled in the shop's back office"
    if status in (414, 431):
        return ShopConfigError, "the request was too long for the server; send fewer ids"
    if status == 400 or (status >= 500 and first in PERMANENT_5XX_CODES):
        return ShopPermanentError, "the shop refused the data"
    if status >= 500 or status == 408:
        return ShopTemporaryError, "the shop failed"
    return ShopPermanentError, "the shop gave an unexpected answer"


def _unauthorized_reason(codes: list[int], from_shop: bool) -> str:
    if not from_shop:
        return (
            "the shop saw no API key at all: the web server drops the Authorization "
            "header and the ws_key parameter did not get through either (or a password "
            "protection in front of the shop wants its own login)"
        )
    reasons = [_KEY_REASONS[code] for code in codes if code in _KEY_REASONS]
    return "; ".join(reasons) or "the API key was refused"


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP-date); None if unusable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:  # "-0000" parses naive; HTTP-dates are always UTC
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp() - now
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)
