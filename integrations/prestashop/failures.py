"""Turning a failed exchange into the typed error the caller acts on, its kind set here.

Policy (documented for the engine):
- 401, 403, 405, 3xx, 503/22, 414/431, and parameter errors (400 codes 27-39: the shop does
  not know a field or filter the client sends, so client and shop disagree) -> ShopConfigError.
  The first error code decides, since a PHP warning may turn a 400 into a 500 (§2.3).
  A 403 or 405 whose body is not PrestaShop's error list comes from something in front of
  the shop (a WAF, the web server) and is told apart by its kind.
- 404 on a row (empty body, or code 92/131) -> StockRowNotFound; any other 404 means the URL
  does not reach the webservice -> ShopConfigError.
- Other 400s (validation 85, missing field 41, ...) and 500/133 (depends_on_stock) or 500/127
  (our XML refused) -> ShopPermanentError.
- Any other 5xx or 408 -> ShopTemporaryError, with the shop's codes or the HTML page's title;
  502 and 504 (a gateway gave up on the PHP behind it) leave the answer lost.
- Exceptions before a whole reply arrived (exception_error): a certificate that fails
  verification or an invalid URL -> ShopConfigError; no connection, a timeout or a connection
  broken after the request was sent -> ShopTemporaryError (the last two: answer lost).
"""

import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from .errors import (
    Failure,
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
GATEWAY_STATUSES = frozenset({502, 504})

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
_TEMPORARY = (Failure.SERVER_ERROR, Failure.TIMEOUT)
_PERMANENT = (Failure.REFUSED_DATA, Failure.UNEXPECTED_STATUS)
_TYPES = (
    dict.fromkeys(Failure, ShopConfigError)
    | dict.fromkeys(_TEMPORARY, ShopTemporaryError)
    | dict.fromkeys(_PERMANENT, ShopPermanentError)
)
_URL_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: Any  # a case-insensitive mapping (requests' CaseInsensitiveDict)
    document: Any = None  # a 2xx body parsed (parsing.parse_body) by the transport


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
    location = None
    if kind is Failure.REDIRECT:
        location = mask(reply.headers.get("Location", "")).split("?", 1)[0]
        reason = f"{reason} to {location!r}; use that address as the shop URL"
    return _TYPES[kind](
        f"{what}: {reason} (HTTP {status}, {detail})",
        status=status,
        codes=codes,
        kind=kind,
        location=location,
        retry_after=parse_retry_after(reply.headers.get("Retry-After"), now=time.time()),
        # A gateway error: the PHP behind the proxy may still be running the request.
        answer_lost=status in GATEWAY_STATUSES,
    )


def _row_not_found(reply: Reply, codes: list[int]) -> bool:
    # GET of an unknown id: 404 with an empty body; a write: 404/92; another shop's row: 131.
    if reply.status != 404:
        return False
    return not reply.body.strip() or bool(ROW_NOT_FOUND_CODES & set(codes))


def _classify(status: int, codes: list[int], from_shop: bool) -> tuple[Failure, str]:
    first = codes[0] if codes else None
    if status == 401:
        return _unauthorized(codes, from_shop)
    if status == 403:
        return _forbidden(codes, from_shop)
    if status == 405:
        if not from_shop:
            return Failure.METHOD_BLOCKED, "the web server (not PrestaShop) refused the method"
        kind = Failure.PERMISSION_MISSING if first == 25 else Failure.METHOD_UNSUPPORTED
        return kind, _METHOD_REASONS.get(first, "method not allowed")
    if 300 <= status < 400:
        return Failure.REDIRECT, "the shop redirects its webservice"
    if first in PARAMETER_CODES:
        return Failure.BAD_PARAMETERS, "the shop rejected the request's parameters (unknown field?)"
    if status == 404:
        return Failure.NOT_FOUND, "no webservice at this address (check the shop URL)"
    if status == 503 and 22 in codes:
        return Failure.WEBSERVICE_DISABLED, "the webservice is disabled in the shop's back office"
    if status in (414, 431):
        return Failure.REQUEST_TOO_LONG, "the request was too long for the server; send fewer ids"
    if status == 400 or (status >= 500 and first in PERMANENT_5XX_CODES):
        return Failure.REFUSED_DATA, "the shop refused the data"
    if status >= 500:
        return Failure.SERVER_ERROR, "the shop failed"
    if status == 408:
        return Failure.TIMEOUT, "the shop failed"
    return Failure.UNEXPECTED_STATUS, "the shop gave an unexpected answer"


def _unauthorized(codes: list[int], from_shop: bool) -> tuple[Failure, str]:
    if not from_shop:
        return Failure.NO_CREDENTIALS, (
            "the shop saw no API key at all: the web server drops the Authorization "
            "header and the ws_key parameter did not get through either (or a password "
            "protection in front of the shop wants its own login)"
        )
    reasons = [_KEY_REASONS[code] for code in codes if code in _KEY_REASONS]
    if 20 in codes:
        kind = Failure.KEY_REFUSED
    elif {17, 18} & set(codes):
        kind = Failure.KEY_INVALID
    elif {21, 26} & set(codes):
        kind = Failure.PERMISSION_MISSING
    else:
        kind = Failure.KEY_REFUSED
    return kind, "; ".join(reasons) or "the API key was refused"


def _forbidden(codes: list[int], from_shop: bool) -> tuple[Failure, str]:
    if 132 in codes:
        return Failure.SHOP_NOT_ALLOWED, "the API key is not allowed on this shop (multistore)"
    if from_shop:
        return Failure.PERMISSION_MISSING, "the shop refused access to the API key"
    # PrestaShop's own refusals are XML or JSON error lists; an HTML page (or nothing) comes
    # from a firewall in front of it: mod_security, Cloudflare, a hosting panel.
    return Failure.FIREWALL, "a firewall in front of the shop refused the request"


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


def exception_error(
    exc: Exception,
    *,
    what: str,
    host: str,
    timeout: tuple[float, float],
    deadline: float,
    expired: bool,
    mask: Callable[[str], str],
) -> PrestaShopError:
    """The exception for an exchange that raised before a whole reply arrived."""
    reason = mask(f"{type(exc).__name__}: {exc}")[:300]
    if expired:
        return ShopTemporaryError(
            f"{what}: the shop at {host} did not send its whole answer within the "
            f"{deadline:g} s deadline",
            kind=Failure.DEADLINE,
            answer_lost=True,
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return ShopTemporaryError(
            f"{what}: the shop at {host} did not answer in time "
            f"(timeouts {timeout[0]:g} s connect, {timeout[1]:g} s read)",
            kind=Failure.TIMEOUT,
            answer_lost=not isinstance(exc, requests.exceptions.ConnectTimeout),
        )
    if _caused_by(exc, ssl.SSLCertVerificationError):
        return ShopConfigError(
            f"{what}: the TLS certificate of {host} could not be verified ({reason})",
            kind=Failure.TLS_CERTIFICATE,
        )
    if isinstance(exc, _URL_ERRORS):
        return ShopConfigError(
            f"{what}: the shop URL is not valid ({reason})", kind=Failure.INVALID_URL
        )
    if isinstance(exc, requests.exceptions.SSLError) or _caused_by(exc, NewConnectionError):
        return ShopTemporaryError(
            f"{what}: cannot connect to the shop at {host} ({reason})", kind=Failure.CONNECTION
        )
    return ShopTemporaryError(
        f"{what}: the connection to {host} broke before the whole answer arrived ({reason})",
        kind=Failure.CONNECTION_LOST,
        answer_lost=True,
    )


def _caused_by(exc: BaseException, cause: type[BaseException]) -> bool:
    """Whether `cause` is in the chain requests and urllib3 wrap around a socket error."""
    return any(isinstance(link, cause) for link in _chain(exc))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending = [exc]
    while pending and len(seen) < 20:
        link = pending.pop()
        if not isinstance(link, BaseException) or id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        pending.extend((link.__cause__, link.__context__, getattr(link, "reason", None)))
        pending.extend(link.args)
